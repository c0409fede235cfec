/// The dashboard's one script, served from the binary at `/assets/app.js` (the Content-Security-Policy allows no
/// other, and no inline script): copy buttons, and live updates. Every second it asks for the vault's change
/// counter; when it moved (a change from the CLI, another tab, another node), it fetches the page again and swaps
/// the main content, unless the user is typing in a form, which a swap would lose. Its requests say so
/// (`X-Sealgate-Live`), and do not count as the user's activity.
enum Script {
    static let path = "/assets/app.js"

    static let text = """
        "use strict";
        (function () {
          function copyButtons(root) {
            root.querySelectorAll("button[data-copy]").forEach(function (button) {
              button.addEventListener("click", function () {
                var source = document.getElementById(button.getAttribute("data-copy"));
                if (!source || !navigator.clipboard) { return; }
                navigator.clipboard.writeText(source.textContent).then(function () {
                  button.textContent = "Copied";
                });
              });
            });
          }
          function confirmations(root) {
            root.querySelectorAll("form[data-confirm]").forEach(function (form) {
              form.addEventListener("submit", function (event) {
                if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
              });
            });
          }
          function editing() {
            var active = document.activeElement;
            if (active && active.form) { return true; }
            return Array.prototype.some.call(document.querySelectorAll("main input, main textarea"), function (field) {
              return (field.type === "text" || field.type === "password" || field.tagName === "TEXTAREA") && field.value !== "";
            });
          }
          var meta = document.querySelector('meta[name="sealgate-generation"]');
          var generation = meta ? meta.getAttribute("content") : null;
          function swap() {
            fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html", "X-Sealgate-Live": "1" } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (text) {
                if (text === null) { return; }
                var page = new DOMParser().parseFromString(text, "text/html");
                var fresh = page.querySelector("main");
                var main = document.querySelector("main");
                if (!fresh || !main) { return; }
                main.replaceWith(fresh);
                copyButtons(fresh); confirmations(fresh);
                var freshMeta = page.querySelector('meta[name="sealgate-generation"]');
                if (freshMeta) { generation = freshMeta.getAttribute("content"); }
              });
          }
          function poll() {
            fetch("/live/generation", { credentials: "same-origin", headers: { "X-Sealgate-Live": "1" } })
              .then(function (response) { return response.ok ? response.json() : null; })
              .then(function (body) {
                if (body && generation !== null && String(body.generation) !== generation && !editing()) { swap(); }
              })
              .catch(function () {})
              .then(function () { window.setTimeout(poll, 1000); });
          }
          copyButtons(document); confirmations(document);
          if (generation !== null) { window.setTimeout(poll, 1000); }
        })();
        """
}
