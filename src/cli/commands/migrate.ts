// sgwatch migrate: apply pending schema migrations and say which.
import type { Command } from "commander";
import { databasePath, type CliContext } from "../context.js";
import { openDatabase } from "../../store/open.js";

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command("migrate")
    .description("create or upgrade the database schema (the daemon also does this at start)")
    .action(() => {
      const file = databasePath(ctx);
      const { db, appliedNow } = openDatabase(file);
      const version = (db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number }).v;
      db.close();
      ctx.out.write(appliedNow.length ? `applied ${appliedNow.join(", ")} to ${file}\n` : `${file} is up to date\n`);
      ctx.out.write(`schema version ${version}\n`);
    });
}
