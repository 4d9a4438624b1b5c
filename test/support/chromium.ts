// Headless Chromium (Debian's package, installed by .ci/run) turning an HTML
// document into a PNG, the way a person would see it in a mail client.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;

/** Render `html` at `width`×`height` into `pngPath`. */
export async function renderHtmlToPng(html: string, pngPath: string, width = 900, height = 700): Promise<void> {
  if (!CHROMIUM) throw new Error("chromium is not installed (apt-get install chromium; .ci/run does it)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "sgwatch-render-"));
  try {
    const page = path.join(dir, "mail.html");
    writeFileSync(page, `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:16px;background:#fff">${html}</body></html>`);
    // The flags keep Chromium off the network (this machine has none) and out of a sandbox it cannot have as root.
    const args = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      `--user-data-dir=${path.join(dir, "profile")}`,
      `--window-size=${width},${height}`,
      `--screenshot=${pngPath}`,
      `file://${page}`,
    ];
    await new Promise<void>((resolve, reject) =>
      execFile(CHROMIUM as string, args, { timeout: 60_000 }, (err) => (err && !existsSync(pngPath) ? reject(err) : resolve())),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How an HTML email lays out in a viewport of a given width. */
export interface EmailLayout {
  /** The viewport's width in CSS px (the iframe the email was laid out in). */
  viewportWidth: number;
  /** document.documentElement.scrollWidth of the email's document: wider than the viewport means horizontal scrolling. */
  scrollWidth: number;
  /** Each <pre> block (commands, snippets): its text, width, height and line height, to see that a long command wraps inside the viewport. */
  blocks: Array<{ text: string; right: number; scrollWidth: number; clientWidth: number; height: number; lineHeight: number }>;
}

// Headless Chromium will not make a window narrower than 500 px, so a phone's
// 390 px viewport is an iframe of that width: the email's document inside it
// lays out exactly as in a 390 px window.
function framedPage(html: string, width: number, height: number): string {
  const mail = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head><body style="margin:16px;background:#fff">${html}</body></html>`;
  const srcdoc = mail.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  const measure = `addEventListener("load", () => {
    const d = document.getElementById("mail").contentDocument;
    const blocks = [...d.querySelectorAll("pre")].map((p) => {
      const r = p.getBoundingClientRect();
      return { text: p.textContent, right: r.right, scrollWidth: p.scrollWidth, clientWidth: p.clientWidth, height: r.height, lineHeight: parseFloat(getComputedStyle(p).lineHeight) || parseFloat(getComputedStyle(p).fontSize) * 1.2 };
    });
    const out = document.createElement("output");
    out.id = "sgwatch-layout";
    out.textContent = JSON.stringify({ viewportWidth: d.documentElement.clientWidth, scrollWidth: d.documentElement.scrollWidth, blocks });
    document.body.appendChild(out);
  });`;
  return `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#ddd"><iframe id="mail" style="border:0;display:block;width:${width}px;height:${height}px;background:#fff" srcdoc="${srcdoc}"></iframe><script>${measure}</script></body></html>`;
}

function chromiumArgs(dir: string, windowWidth: number, windowHeight: number): string[] {
  // The flags keep Chromium off the network (this machine has none) and out of a sandbox it cannot have as root.
  return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars", `--user-data-dir=${path.join(dir, "profile")}`, `--window-size=${windowWidth},${windowHeight}`];
}

/**
 * Lays `html` out in a `width` px viewport: returns its layout (from the DOM
 * Chromium dumps after load) and, with `pngPath`, a screenshot of it.
 */
export async function layoutEmail(html: string, width: number, height: number, pngPath?: string): Promise<EmailLayout> {
  if (!CHROMIUM) throw new Error("chromium is not installed (apt-get install chromium; .ci/run does it)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "sgwatch-layout-"));
  try {
    const page = path.join(dir, "page.html");
    writeFileSync(page, framedPage(html, width, height));
    const windowWidth = Math.max(width, 500);
    const run = (extra: string[]): Promise<string> =>
      new Promise((resolve, reject) =>
        execFile(CHROMIUM as string, [...chromiumArgs(dir, windowWidth, height), ...extra, `file://${page}`], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
          err && stdout === "" ? reject(err) : resolve(stdout),
        ),
      );
    const dom = await run(["--dump-dom"]);
    const m = /<output id="sgwatch-layout">([\s\S]*?)<\/output>/.exec(dom);
    if (!m) throw new Error(`chromium's DOM has no layout measurement: ${dom.slice(0, 300)}`);
    // The DOM dump escapes text: &amp; &lt; &gt; &quot; back to characters before parsing.
    const json = (m[1] ?? "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
    if (pngPath !== undefined) await run([`--screenshot=${pngPath}`]);
    return JSON.parse(json) as EmailLayout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
