import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Hex } from "viem";
import { contentHash, type ContentStore } from "./store.js";

/**
 * A minimal content server over any ContentStore: GET /<hash> returns the text, PUT /<hash>
 * stores a body only if it hashes to <hash>. For operators who serve task texts over HTTP.
 */
export async function startContentServer(store: ContentStore, port = 0, host = "127.0.0.1"): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const m = /^\/(0x[0-9a-fA-F]{64})$/.exec(req.url ?? "");
    if (!m) return void res.writeHead(404).end();
    const hash = m[1] as Hex;
    try {
      if (req.method === "GET") {
        const t = await store.get(hash);
        if (t === undefined) return void res.writeHead(404).end();
        return void res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(t);
      }
      if (req.method === "PUT") {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        if (contentHash(text).toLowerCase() !== hash.toLowerCase()) return void res.writeHead(422).end("hash mismatch");
        await store.put(text);
        return void res.writeHead(204).end();
      }
      res.writeHead(405).end();
    } catch (err) {
      res.writeHead(500).end((err as Error).message);
    }
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  const a = server.address() as AddressInfo;
  return { url: `http://${host}:${a.port}`, close: () => new Promise((r) => server.close(() => r())) };
}
