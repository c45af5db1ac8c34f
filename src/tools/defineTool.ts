import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { Engine } from '../docker/engine.js';
import type { EngineSet } from '../docker/engineSet.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';
import type { Confirmer } from './confirm.js';

/**
 * What a tool does, declared once; the MCP annotations and the policy (read-only mode,
 * disable-destructive, confirmation) all derive from it.
 * - read: changes nothing.
 * - create: adds new objects; repeating it adds more (or conflicts).
 * - update: changes existing objects; repeating it is harmless (start, stop, restart).
 * - destructive: removes or overwrites something; needs confirmation.
 */
export type ToolKind = 'read' | 'create' | 'update' | 'destructive';

export const TOOLSETS = ['containers', 'images', 'networks', 'volumes', 'stacks', 'operations', 'swarm'] as const;
export type Toolset = (typeof TOOLSETS)[number];

export function annotationsFor(kind: ToolKind, title: string): ToolAnnotations {
  return {
    title,
    readOnlyHint: kind === 'read',
    destructiveHint: kind === 'destructive',
    idempotentHint: kind === 'read' || kind === 'update',
    // Every tool talks to a Docker Engine, an open world outside this server.
    openWorldHint: true,
  };
}

export interface Progress {
  (progress: number, total?: number, message?: string): void;
}

/** Everything a handler may use; built per call by the adapter (MCP or CLI). */
export interface ToolContext {
  /** The Engine this call acts on: the one its `engine` argument names, else the default (src/tools/engineArg.ts). */
  engine: Engine;
  /** Every configured Engine (list_engines); absent where only one Engine is known. */
  engines?: EngineSet;
  config: Config;
  log: Logger;
  signal: AbortSignal;
  progress: Progress;
  confirm: Confirmer;
  /** Where deployments, removals and heals are recorded. */
  history: HistoryPort;
  /** Who is calling, for the history: the MCP client's name and version, or "cli". */
  who: string;
}

export interface ToolAnswer<O> {
  data: O;
  /** A human rendering of `data`: its first line is the summary put before the JSON in the MCP text block. */
  text: string;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  kind: ToolKind;
  input: I;
  output: O;
  /** Reports on every Engine itself, so it takes no `engine` argument (list_engines). */
  allEngines?: true;
  handler: (args: z.infer<I>, ctx: ToolContext) => Promise<ToolAnswer<z.infer<O>>>;
}

/** Identity helper that keeps the input/output types tied to the handler. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  def: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return def;
}

// Tools of different shapes live in one list; the adapter treats them uniformly.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any>;
