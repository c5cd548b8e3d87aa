/*
 * Mermaid from this site, loaded only on pages that have a diagram.
 *
 * Material for MkDocs (and Zensical) render ```mermaid blocks with a global `mermaid`, and
 * fetch it from a CDN when none exists. This stand-in is that global: Material calls
 * `initialize` once and `render` for each diagram; the first `render` loads the copy in
 * mermaid/mermaid.min.js (version 11.17.2 from the npm registry, MIT licence in
 * mermaid/LICENSE; refresh it with `nox -s vendor_mermaid`), which replaces the stand-in.
 */
(() => {
  "use strict";
  const source = new URL("mermaid/mermaid.min.js", document.currentScript.src).href;
  let options = {};
  let loading = null;

  const load = () => {
    loading ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = source;
      script.onload = () => resolve(window.mermaid);
      script.onerror = () => reject(new Error(`Mermaid did not load from ${source}`));
      document.head.append(script);
    }).then((mermaid) => {
      mermaid.initialize(options);
      return mermaid;
    });
    return loading;
  };

  window.mermaid = {
    initialize(config) {
      options = config;
    },
    async render(id, text) {
      return (await load()).render(id, text);
    },
  };
})();
