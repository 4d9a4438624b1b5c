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
