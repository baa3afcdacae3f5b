/**
 * Server-sent events (the WHATWG "text/event-stream" format) parsed from text that arrives in
 * arbitrary pieces: a line, a CRLF pair or a field name may be split across network chunks.
 * Lines end in LF, CRLF or CR; ":" starts a comment (llama-server's keep-alive ping is ":\n\n");
 * "data" lines of one event are joined with "\n"; a blank line dispatches the event.
 * Bytes must be decoded before (TextDecoder with {stream: true} keeps UTF-8 sequences whole).
 */
export interface SseEvent {
  /** The "event:" field; "message" when absent. */
  event: string;
  data: string;
  /** The last "id:" seen on this stream (null when none). */
  id: string | null;
}

export class SseParser {
  private buffer = "";
  /** A CR ended the previous piece: an LF starting the next one belongs to it. */
  private pendingCr = false;
  private data: string[] = [];
  private hasData = false;
  private event = "";
  private lastId: string | null = null;
  /** Comment lines seen so far (keep-alive pings count as activity, not as data). */
  comments = 0;

  /** Feeds the next piece of text; returns the events it completed, in order. */
  push(text: string): SseEvent[] {
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else this.pendingCr = true;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The end of the stream: an event without its blank line is dropped, as the standard says. */
  end(): { unterminated: boolean } {
    const unterminated = this.buffer.length > 0 || this.hasData;
    this.buffer = "";
    this.data = [];
    this.hasData = false;
    this.event = "";
    return { unterminated };
  }

  private line(line: string): SseEvent | null {
    if (line === "") {
      if (!this.hasData) {
        this.event = "";
        return null;
      }
      const event: SseEvent = { event: this.event || "message", data: this.data.join("\n"), id: this.lastId };
      this.data = [];
      this.hasData = false;
      this.event = "";
      return event;
    }
    if (line.startsWith(":")) {
      this.comments++;
      return null;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      default:
        break; // "retry" and unknown fields are ignored
    }
    return null;
  }
}

/** OpenAI-style streams end with this data line. */
export const SSE_DONE = "[DONE]";
