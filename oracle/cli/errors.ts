import { BaseError, HttpRequestError, WebSocketRequestError, SocketClosedError } from "viem";
import { PoqError } from "../core/errors.js";

/**
 * The CLI's one error formatter: a failed command prints one line, `poq: <what went wrong>`.
 * Typed errors (PoqError: input, revert decoded by name with amounts in tokens, RPC
 * unavailable naming the URL) print their message; a viem error its short message and the URL
 * it failed on; a WebSocket error event (what `ws` hands viem) the URL and the cause. No stack
 * trace unless `debug` (`--debug` or POQ_DEBUG=1).
 */
export function formatCliError(err: unknown, debug = false): string {
  const line = `poq: ${describe(err)}\n`;
  return debug && err instanceof Error && err.stack ? `${line}${err.stack}\n` : line;
}

function describe(err: unknown): string {
  if (err instanceof PoqError) {
    // An unreachable RPC: add what the transport said (viem's own text is often "unknown").
    const detail = err.code === "E_RPC" ? transportCause(err.cause) : undefined;
    return detail && !err.message.includes(detail) ? `${err.message} (${detail})` : err.message;
  }
  if (isSocketEvent(err)) return socketEventText(err);
  if (err instanceof BaseError) {
    const transport = err.walk((e) => e instanceof HttpRequestError || e instanceof WebSocketRequestError || e instanceof SocketClosedError) as { url?: string } | null;
    const url = transport?.url ? ` (RPC ${transport.url})` : "";
    return `${firstLine(err.shortMessage)}${url}`;
  }
  if (err instanceof Error) return firstLine(err.message) || err.name;
  return firstLine(String(err));
}

/** The innermost transport failure in a cause chain: a socket event's error, or a system error such as ECONNREFUSED. */
function transportCause(cause: unknown): string | undefined {
  let found: string | undefined;
  for (let c = cause, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (isSocketEvent(c)) found = (c as { error?: Error }).error?.message || c.message || found;
    else if (typeof (c as { code?: unknown }).code === "string" && /^E[A-Z]+$/.test((c as { code: string }).code)) found = firstLine((c as Error).message ?? "");
  }
  return found;
}

const firstLine = (s: string) => s.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";

/** An `ErrorEvent`/`CloseEvent` of a WebSocket (`ws` or the DOM's), as viem passes them on. */
export function isSocketEvent(v: unknown): v is { type: string; message?: string; target?: { url?: string } } {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string" && "target" in v && !(v instanceof Error);
}

/** One line for a WebSocket error event: the URL and the cause. */
export function socketEventText(ev: { type: string; message?: string; target?: { url?: string } }): string {
  return `RPC WebSocket ${ev.target?.url ?? "(unknown URL)"}: ${ev.message || ev.type}`;
}
