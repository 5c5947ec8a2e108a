// Reads a server stream as grpc-gateway sends it over REST: one JSON object
// a line, {"result": …} for each message or {"error": …} at the end.

export async function* ndjson<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<{ result?: T; error?: { message?: string } }> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buf += dec.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
    if (done) break;
  }
  if (buf.trim()) yield JSON.parse(buf);
}
