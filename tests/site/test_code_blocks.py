"""Code blocks on every page: what they show, what their copy buttons copy, how they fit.

- No block shows the notation that transcripts match output with (`[ID]`, `[..]`, `...`,
  `? 1`, `[on 28.5]`): pages show the real output of a run in its place.
- A console block's copy button copies its commands only: no prompt, no output (a command
  continued with `\\` stays whole); a Python block's copies its code without the `# > ` lines
  that show what it prints (docs/javascripts/code-blocks.js).
- No block scrolls sideways at a laptop's width or a phone's: long lines wrap.

The counts (blocks that copy a prompt, lines of notation, blocks that scroll sideways at each
width) go to artifacts/site-metrics.json.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import expect
from site_helpers import NARROW, SITE, WIDE, html_pages

from verified_docs.document import VARIANT
from verified_docs.transcripts import ELLIPSIS, EXIT_LINE, TYPES

PAGES = [p for p in html_pages() if p != "404.html"] or [""]
PLACEHOLDER = re.compile(r"\[(?:\.\.|(?:" + "|".join(TYPES) + r")(?::[^\]]*)?)\]")
PRINTED = re.compile(r"^\s*# >(?: |$)")  # a Python snippet's line that shows what it prints
PROMPT = re.compile(r"^(?:\$|>>>) ")  # starts a line: a diff's context line " $ " is none
COUNTS: dict[str, dict[str, int]] = {}


def count(metrics, name: str, page: str, value: int) -> None:
    COUNTS.setdefault(name, {})[page or "home"] = value
    metrics.record(name, {"total": sum(COUNTS[name].values()), "by_page": COUNTS[name]})


class CodeBlocks(HTMLParser):
    """The text of every <pre> of a page, with the language of the block around it."""

    VOID = frozenset(
        ["area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []  # the language each open element sets, or ""
        self.blocks: list[tuple[str, str]] = []
        self.text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        language = next((c.removeprefix("language-") for c in classes if "language-" in c), "")
        self.stack.append(language)
        if tag == "pre" and self.text is None:
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self.stack:
            return
        self.stack.pop()
        if tag == "pre" and self.text is not None:
            language = next((lang for lang in reversed(self.stack) if lang), "")
            self.blocks.append((language, "".join(self.text)))
            self.text = None

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def code_blocks(page: Path) -> list[tuple[str, str]]:
    parser = CodeBlocks()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.blocks


def shown_output(language: str, text: str) -> list[str]:
    """The lines of a block that show output: a Python block's `# > ` lines, without the
    marker (its other lines are code, where `...` is Python's); every line of other blocks."""
    if language == "python":
        return [PRINTED.sub("", line) for line in text.splitlines() if PRINTED.match(line)]
    return text.splitlines()


def is_notation(line: str) -> bool:
    text = line.strip()
    return bool(
        PLACEHOLDER.search(text) or text == ELLIPSIS or EXIT_LINE.match(text) or VARIANT.match(text)
    )


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "home")
def test_no_code_block_shows_transcript_notation(metrics, path):
    page = SITE / path / "index.html"
    found = [
        f"{language or 'code'} block: {line.strip()}"
        for language, text in code_blocks(page)
        for line in shown_output(language, text)
        if is_notation(line)
    ]
    count(metrics, "notation_lines", path, len(found))
    assert not found, (
        f"{len(found)} lines of transcript notation on {path or 'home'}:\n" + "\n".join(found[:20])
    )


# What Material's copy button copies (the code's closest data-copy, else its text), and what
# the block shows: each line's prompt (Pygments' .gp), command and output (.go).
BLOCKS_JS = """() => [...document.querySelectorAll(".md-content pre > code")].map((code) => {
  const holder = code.closest("[data-copy]");
  const lines = [...code.querySelectorAll(':scope > span[id^="__span-"]')].map((line) => ({
    prompt: [...line.querySelectorAll(".gp")].map((e) => e.textContent).join(""),
    output: [...line.querySelectorAll(".go")].map((e) => e.textContent).join(""),
    text: line.textContent.replace(/\\n$/, ""),
  }));
  const block = code.closest("[class*='language-']");
  const language = block ? [...block.classList].find((c) => c.startsWith("language-")) : "";
  return {
    language: (language || "").replace("language-", ""),
    copied: holder ? holder.dataset.copy : code.innerText.trimEnd(),
    lines,
  };
})"""


def copy_problems(block: dict) -> list[str]:
    copied = block["copied"].splitlines()
    problems = [f"copies a prompt: {line!r}" for line in copied if PROMPT.match(line)]
    if block["language"] == "console":
        commands = [line["text"].removeprefix(line["prompt"]) for line in block["lines"]]
        commands = [c for c, line in zip(commands, block["lines"], strict=True) if line["prompt"]]
        missing = [c for c in commands if c.rstrip() not in copied]
        problems += [f"does not copy the command {c!r}" for c in missing]
        outputs = {line["output"] for line in block["lines"] if line["output"].strip()}
        problems += [f"copies output: {line!r}" for line in copied if line in outputs]
    elif block["language"] == "python":
        problems += [f"copies printed output: {line!r}" for line in copied if PRINTED.match(line)]
    return problems


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "home")
def test_copy_buttons_copy_commands_and_code_only(visit, metrics, path):
    page = visit(path).page
    # docs/javascripts/code-blocks.js marks each block it has seen, once Material has set up.
    expect(page.locator(".md-content pre > code:not([data-seen])")).to_have_count(0)
    blocks = page.evaluate(BLOCKS_JS)
    problems = [
        f"{block['language']} block {index + 1}: {problem}"
        for index, block in enumerate(blocks)
        for problem in copy_problems(block)
    ]
    prompting = [b for b in blocks if any(PROMPT.match(line) for line in b["copied"].splitlines())]
    count(metrics, "code_blocks_copying_a_prompt", path, len(prompting))
    assert not problems, "\n".join(problems[:20])


def test_copy_button_puts_the_commands_on_the_clipboard(visit):
    """The check above reads what Material's copy button copies; this one clicks it."""
    page = visit("containers/writable-layer/", permissions=["clipboard-read", "clipboard-write"])
    block = page.page.locator(".language-console pre:visible").first
    block.hover()
    block.locator('button[data-md-type="copy"], button.md-clipboard').click()
    copied = page.page.evaluate("navigator.clipboard.readText()")
    assert copied == block.locator("> code").get_attribute("data-copy")
    assert copied.startswith("docker "), copied
    assert "$ " not in copied


# Code blocks wider than their box; hidden tabs are shown first, so every block is measured.
SIDEWAYS_JS = """() => {
  const style = document.createElement("style");
  style.textContent = ".tabbed-set > .tabbed-content > .tabbed-block { display: block !important }";
  document.head.append(style);
  const blocks = [...document.querySelectorAll(".md-content pre > code")];
  return blocks
    .filter((code) => code.scrollWidth > code.clientWidth + 1)
    .map((code) => `${code.scrollWidth} in ${code.clientWidth}: ${code.textContent.slice(0, 30)}`);
}"""


@pytest.mark.parametrize("width", [WIDE, NARROW])
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "home")
def test_no_code_block_scrolls_sideways(visit, metrics, path, width):
    wide = visit(path, width=width).page.evaluate(SIDEWAYS_JS)
    count(metrics, f"code_blocks_scrolling_sideways_at_{width}px", path, len(wide))
    assert not wide, "\n".join(wide)
