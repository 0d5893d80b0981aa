/**
 * Parses a text/event-stream as the HTML standard says: lines end with
 * CRLF, LF or CR; a blank line dispatches; ":" starts a comment; data
 * lines join with "\n"; a message with no data is not dispatched.
 */
export class SseParser {
    buffer = "";
    data = [];
    event = "";
    id;
    sawCR = false;
    /** Feeds the next chunk of text and returns the messages it completed. */
    push(chunk) {
        const out = [];
        let text = chunk;
        // A CR ending the previous chunk and an LF starting this one are one line end.
        if (this.sawCR && text.startsWith("\n"))
            text = text.slice(1);
        this.sawCR = false;
        this.buffer += text;
        let start = 0;
        for (let i = 0; i < this.buffer.length; i++) {
            const ch = this.buffer[i];
            if (ch !== "\n" && ch !== "\r")
                continue;
            this.line(this.buffer.slice(start, i), out);
            if (ch === "\r") {
                if (i + 1 === this.buffer.length)
                    this.sawCR = true;
                else if (this.buffer[i + 1] === "\n")
                    i++;
            }
            start = i + 1;
        }
        this.buffer = this.buffer.slice(start);
        return out;
    }
    line(line, out) {
        if (line === "") {
            if (this.data.length > 0)
                out.push({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
            this.data = [];
            this.event = "";
            this.id = undefined;
            return;
        }
        if (line.startsWith(":"))
            return;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" "))
            value = value.slice(1);
        switch (field) {
            case "data":
                this.data.push(value);
                break;
            case "event":
                this.event = value;
                break;
            case "id":
                if (!value.includes("\0"))
                    this.id = value;
                break;
        }
    }
}
/**
 * Reads body as an event stream, calling onMessage for each message, until
 * it ends (resolves), fails or signal aborts (rejects).
 */
export async function readEventStream(body, onMessage, signal) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    const cancel = () => {
        reader.cancel(signal.reason).catch(() => {
            // The stream is going away anyway.
        });
    };
    signal.addEventListener("abort", cancel, { once: true });
    try {
        for (;;) {
            const { done, value } = await reader.read();
            if (done)
                return;
            for (const m of parser.push(decoder.decode(value, { stream: true }))) {
                if (onMessage(m) === false) {
                    cancel();
                    return;
                }
            }
        }
    }
    finally {
        signal.removeEventListener("abort", cancel);
        reader.releaseLock();
    }
}
