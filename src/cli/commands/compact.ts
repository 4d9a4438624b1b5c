// sgwatch compact [--dry-run]: run retention (history.keep) now, as the
// daemon does once a day; --dry-run counts what would go and changes nothing.
// Safe beside a running daemon: each batch is a short transaction, so the
// daemon's polls wait at most one batch (busy timeout), never the whole run.
import type { Command } from "commander";
import { openDatabase } from "../../store/open.js";
import { compact, cutoffFor, previewCompaction } from "../../store/retention.js";
import { droppedInWords } from "../../store/retention-words.js";
import { databasePath, printJson, readConfig, type CliContext } from "../context.js";
import { EXIT, UserError } from "../../util/errors.js";
import { humanDuration } from "../../util/time.js";

export function registerCompact(program: Command, ctx: CliContext): void {
  program
    .command("compact")
    .description("drop detail older than history.keep now (the daemon does this once a day); --dry-run only counts")
    .option("--dry-run", "count what would be dropped; change nothing")
    .option("--json", "print JSON")
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const config = readConfig(ctx);
      const keep = config.history.keep;
      if (keep === "forever") throw new UserError('history.keep is "forever" (the default): nothing is ever compacted; set history.keep (e.g. 400d) in the config first', EXIT.usage);
      const keepText = humanDuration(keep);
      const file = databasePath(ctx);
      if (opts.dryRun) {
        // Read-only: the temp tables it counts with are this connection's own.
        const { db } = openDatabase(file, { readonly: true });
        try {
          const cutoff = cutoffFor(new Date(), keep);
          const counts = previewCompaction(db, cutoff);
          if (opts.json) return printJson(ctx, { dryRun: true, keep: keepText, cutoff, wouldDrop: counts });
          ctx.out.write(`dry run, history kept for ${keepText}: would drop ${droppedInWords(counts)} older than ${cutoff}\n`);
        } finally {
          db.close();
        }
        return;
      }
      const { db } = openDatabase(file);
      try {
        const r = await compact(db, { clock: () => new Date(), keepMs: keep, keepText });
        if (opts.json) return printJson(ctx, { dryRun: false, keep: keepText, cutoff: r.cutoff, runId: r.runId, dropped: r.counts });
        ctx.out.write(`history kept for ${keepText}: dropped ${droppedInWords(r.counts)} older than ${r.cutoff}\n`);
      } finally {
        db.close();
      }
    });
}
