// What every command shares: global options, config and database access,
// output. Commands receive it; nothing here runs at import time.
import type { Database } from "better-sqlite3";
import { loadConfig, resolveConfigPath } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { openDatabase } from "../store/open.js";
import { createLogger } from "../logging/logger.js";
import type { Logger } from "pino";
import path from "node:path";
import pino from "pino";

/** Options every command accepts. */
export interface GlobalOptions {
  /** --config path. */
  config?: string;
  /** --db path: read this database instead of the config's. */
  db?: string;
}

/** The environment a command runs in. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream;
  globals(): GlobalOptions;
}

export function configPath(ctx: CliContext): string {
  return resolveConfigPath(ctx.globals().config, ctx.env);
}

export function readConfig(ctx: CliContext): Config {
  return loadConfig(configPath(ctx), ctx.env);
}

/** A logger for a command: JSON lines on stdout (or stderr when stdout carries the command's output). */
export function makeLogger(ctx: CliContext, config: Config | null, opts: { stderr?: boolean } = {}): Logger {
  const level = ctx.env.SGWATCH_LOG_LEVEL ?? config?.log.level ?? "info";
  if (opts.stderr) return createLogger({ level, destination: pino.destination({ fd: 2, sync: true }) });
  return createLogger({ level });
}

/** The database path: --db, else the config's. */
export function databasePath(ctx: CliContext): string {
  const flag = ctx.globals().db;
  return flag ? path.resolve(flag) : readConfig(ctx).database;
}

/** Open the database for reading (CLI queries); migrations are not applied. */
export function openForRead(ctx: CliContext): Database {
  return openDatabase(databasePath(ctx), { readonly: true }).db;
}

/** Open the database for writing (and migrate). */
export function openForWrite(ctx: CliContext): Database {
  return openDatabase(databasePath(ctx)).db;
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out.write(JSON.stringify(value, null, 2) + "\n");
}
