/*
 * Mermaid from this site, loaded only on pages that have a diagram.
 *
 * Material for MkDocs (and Zensical) render ```mermaid blocks with a global `mermaid`, and
 * fetch it from a CDN when none exists. This stand-in is that global: Material calls
 * `initialize` once and `render` for each diagram; the first `render` loads the copy in
 * mermaid/mermaid.min.js (version 11.17.2 from the npm registry, MIT licence in
 * mermaid/LICENSE; refresh it with `nox -s vendor_mermaid`), and passes each call on to it.
 *
 * A diagram shrinks to fit the column, but to no less than MIN_SCALE of its drawn size, so
 * that its 16 px labels stay 12 px or more: on a narrow screen a wide diagram scrolls sideways
 * instead (stylesheets/site.css).
 */
(() => {
  "use strict";
  const source = new URL("mermaid/mermaid.min.js", document.currentScript.src).href;
  const MIN_SCALE = 0.75;
  let options = {};
  let loading = null;

  const load = () => {
    loading ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = source;
      script.onload = () => {
        const mermaid = window.mermaid;
        window.mermaid = standIn; // it stays the global: every render goes through it
        resolve(mermaid);
      };
      script.onerror = () => reject(new Error(`Mermaid did not load from ${source}`));
      document.head.append(script);
    }).then((mermaid) => {
      mermaid.initialize(options);
      return mermaid;
    });
    return loading;
  };

  // Mermaid sizes the <svg> with width="100%" and style="max-width: (drawn width)px".
  const legible = (svg) =>
    svg.replace(/^(<svg[^>]*?style="[^"]*?)max-width: ([\d.]+)px;/, (_, start, width) => {
      const least = Math.ceil(Number(width) * MIN_SCALE);
      return `${start}max-width: ${width}px; min-width: ${least}px;`;
    });

  const standIn = {
    initialize(config) {
      options = config;
    },
    async render(id, text) {
      const result = await (await load()).render(id, text);
      return { ...result, svg: legible(result.svg) };
    },
  };
  window.mermaid = standIn;
})();
