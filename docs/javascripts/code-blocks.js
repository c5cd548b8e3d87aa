/*
 * Code blocks, on every page instant navigation brings in (Material's document$):
 * - Copy buttons copy what a reader would run. From a console block: its commands, without the
 *   prompt and without their output; a command continued with a trailing `\` stays whole.
 *   Pygments marks the prompt `.gp` and the output `.go`; a line with neither continues the
 *   command before it. From a Python block: its code, without the `# > ` lines that show what
 *   it prints. Material copies the `data-copy` of the code (or its closest element with one).
 * - Long lines wrap (stylesheets/site.css); the rest of a wrapped line is indented under its
 *   start: each line gets its own leading spaces as `--lead`.
 */
(() => {
  "use strict";
  const NOT_CODE = ".md-annotation"; // the notes of code annotations are not code
  const PRINTED = /^\s*# >( |$)/;
  const LINE = ':scope > span[id^="__span-"]'; // pymdownx.highlight's line_spans

  // The block's lines, each a list of [text, kind] pieces; kind is "gp", "go" or "".
  const lines = (code) => {
    const result = [[]];
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (parent.closest(NOT_CODE)) continue;
      const kind = parent.closest(".gp") ? "gp" : parent.closest(".go") ? "go" : "";
      node.data.split("\n").forEach((text, index) => {
        if (index > 0) result.push([]);
        if (text) result.at(-1).push([text, kind]);
      });
    }
    return result;
  };

  const joined = (pieces) => pieces.map(([text]) => text).join("");

  const commands = (code) => {
    const kept = [];
    let continued = false;
    for (const pieces of lines(code)) {
      const start = pieces.findIndex(([text]) => text.trim());
      let command = null;
      if (start >= 0 && pieces[start][1] === "gp") {
        command = joined(pieces.slice(start + 1));
      } else if (continued && start >= 0) {
        command = joined(pieces);
      }
      continued = command !== null && command.trimEnd().endsWith("\\");
      if (command !== null) kept.push(command.trimEnd());
    }
    return kept.join("\n");
  };

  const python = (code) =>
    lines(code)
      .map((pieces) => joined(pieces).trimEnd())
      .filter((line) => !PRINTED.test(line))
      .join("\n")
      .trimEnd();

  const indent = (code) => {
    for (const line of code.querySelectorAll(LINE)) {
      const lead = line.textContent.length - line.textContent.trimStart().length;
      if (lead) line.style.setProperty("--lead", lead);
    }
  };

  const update = () => {
    for (const code of document.querySelectorAll(".md-content pre > code:not([data-seen])")) {
      code.dataset.seen = "";
      if (code.closest(".language-console")) {
        code.dataset.copy = commands(code);
      } else if (code.closest(".language-python")) {
        code.dataset.copy = python(code);
      }
      indent(code);
    }
  };

  if (window.document$) {
    window.document$.subscribe(update);
  } else {
    update();
  }
})();
