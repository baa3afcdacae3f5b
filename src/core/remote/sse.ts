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

/** A line or an event over the parser's limits: the server is not sending a sane stream. */
export class SseLimitError extends Error {}

export interface SseLimits {
  /** Longest line, in characters (a line with no newline grows no further). Default 1 Mi. */
  maxLineChars?: number;
  /** Longest event (its data lines together). Default 4 Mi. */
  maxEventChars?: number;
}

/**
 * Linear and bounded: each piece of text is scanned once (an unfinished line is kept as pieces,
 * not re-scanned when the next piece comes), and a line or an event over the limits throws
 * SseLimitError instead of growing without end. Why not eventsource-parser (npm): its feed()
 * re-splits `incompleteLine + chunk` on every chunk (quadratic on a long line, the fault of
 * issue #16), has no line cap, and cannot tell that a stream ended inside an event.
 */
export class SseParser {
  /** The unfinished line, as the pieces it arrived in. */
  private partial: string[] = [];
  private partialLength = 0;
  /** A CR ended the previous piece: an LF starting the next one belongs to it. */
  private pendingCr = false;
  private data: string[] = [];
  private dataLength = 0;
  private hasData = false;
  private event = "";
  private lastId: string | null = null;
  private readonly maxLine: number;
  private readonly maxEvent: number;
  /** Comment lines seen so far (keep-alive pings: not data, so they do not count as progress). */
  comments = 0;

  constructor(limits: SseLimits = {}) {
    this.maxLine = limits.maxLineChars ?? 1 << 20;
    this.maxEvent = limits.maxEventChars ?? 4 << 20;
  }

  /** Feeds the next piece of text; returns the events it completed, in order. */
  push(text: string): SseEvent[] {
    let start = 0;
    if (this.pendingCr && text.startsWith("\n")) start = 1;
    this.pendingCr = false;
    const events: SseEvent[] = [];
    for (let i = start; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      let line = text.slice(start, i);
      if (this.partial.length > 0) {
        this.checkLine(this.partialLength + line.length);
        line = this.partial.join("") + line;
        this.partial = [];
        this.partialLength = 0;
      }
      if (ch === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.pendingCr = true;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    if (start < text.length) {
      const rest = text.slice(start);
      this.checkLine(this.partialLength + rest.length);
      this.partial.push(rest);
      this.partialLength += rest.length;
    }
    return events;
  }

  private checkLine(length: number): void {
    if (length > this.maxLine)
      throw new SseLimitError(`a line of more than ${this.maxLine} characters without a newline`);
  }

  /** The end of the stream: an event without its blank line is dropped, as the standard says. */
  end(): { unterminated: boolean } {
    const unterminated = this.partialLength > 0 || this.hasData;
    this.partial = [];
    this.partialLength = 0;
    this.data = [];
    this.dataLength = 0;
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
      this.dataLength = 0;
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
        this.dataLength += value.length + 1;
        if (this.dataLength > this.maxEvent)
          throw new SseLimitError(`an event of more than ${this.maxEvent} characters`);
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
