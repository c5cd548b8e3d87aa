"""Every snippet that binds claims (`proves:` on its section markers), run on the engine."""


def test_snippet(snippet, substitutions, run_snippet_on_engine):
    run_snippet_on_engine(snippet, substitutions(snippet))
