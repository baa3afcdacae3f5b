import assert from "node:assert/strict";
import http from "node:http";
import type { Locator } from "playwright-core";
import {
  HOSTILE_GLOBAL,
  HOSTILE_PORT,
  HOSTILE_REPLY,
  ensureFixture,
  expectedScriptedChatReply,
  fixturePath,
} from "../../fixtures/gguf/index";
import { ChatView, waitUntil } from "../lib/chatView";
import { scenario } from "../lib/scenario";

/** 2,500 tokens of ~100 characters: an answer longer than the view renders (200,000 characters). */
const MAX_TOKENS = 2500;
const FULL = expectedScriptedChatReply(HOSTILE_REPLY, MAX_TOKENS).text;
const FENCE_AT = HOSTILE_REPLY.pieces.indexOf("```js\n");
/**
 * What each piece before the code fence shows as, one paragraph each: raw HTML and links with
 * script URLs as their literal text; a markdown image as a link labelled "Image: <alt>".
 */
const EXPECTED_PARAGRAPHS = HOSTILE_REPLY.pieces.slice(0, FENCE_AT).map((piece) => {
  const image = /^!\[([^\]]*)\]\([^)]*\)$/.exec(piece.trim());
  return image ? `Image: ${image[1]}` : piece.trim();
});

/** A local server the hostile answer points its image and iframe at: it must never be asked. */
class TrapServer {
  readonly requests: string[] = [];
  private server: http.Server | undefined;

  /** Listens on HOSTILE_PORT (written into the model), waiting while another run holds it. */
  async start(): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        this.server = await new Promise<http.Server>((resolve, reject) => {
          const server = http.createServer((req, res) => {
            this.requests.push(`${req.method} ${req.url}`);
            // An empty icon link, so the probe page does not ask for /favicon.ico.
            res
              .writeHead(200, { "content-type": "text/html" })
              .end('<!DOCTYPE html><link rel="icon" href="data:,"><p>trap</p>');
          });
          server.once("error", reject);
          server.listen(HOSTILE_PORT, "127.0.0.1", () => resolve(server));
        });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || Date.now() > deadline) {
          throw new Error(
            `cannot listen on 127.0.0.1:${HOSTILE_PORT} (the port the hostile fixture points at): ${String(e)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

const trap = new TrapServer();

/** Everything in the view's frame that could run or fetch something. */
interface FrameReport {
  global: string | null;
  dangerous: string[];
  elements: string[];
}

scenario(
  "chat hostile output",
  {
    waitForStatus: /Local Code: bigram/,
    settings: {
      "localCode.chat.model": fixturePath("bigram-chat-hostile"),
      "localCode.chat.maxTokens": MAX_TOKENS,
      "localCode.completion.enabled": false,
    },
    timeoutMs: 300_000,
    beforeOpen: async () => {
      await ensureFixture("bigram-chat-hostile");
      await trap.start();
    },
  },
  (s) => {
    let chat: ChatView;
    const browserRequests: string[] = [];
    after(() => trap.stop());

    async function frameReport(): Promise<FrameReport> {
      return chat.evaluate((root, name) => {
        const value = (window as unknown as Record<string, unknown>)[name];
        const dangerous: string[] = [];
        for (const element of Array.from(root.querySelectorAll("*"))) {
          for (const attribute of Array.from(element.attributes)) {
            if (/^on/i.test(attribute.name) || /^\s*(javascript|data|vbscript):/i.test(attribute.value)) {
              dangerous.push(`<${element.tagName.toLowerCase()} ${attribute.name}="${attribute.value.slice(0, 80)}">`);
            }
          }
        }
        const elements = Array.from(
          root.querySelectorAll(
            "#messages :is(script, img, iframe, frame, svg, style, object, embed, link, meta, form, input, video, audio)",
          ),
        ).map((e) => e.tagName.toLowerCase());
        return { global: value === undefined ? null : String(value), dangerous, elements };
      }, HOSTILE_GLOBAL);
    }

    function expectHostileAnswer(turn: Locator): Promise<void> {
      return (async () => {
        await chat.waitForStatus(turn, "complete", 240_000);
        const body = chat.body(turn);
        const paragraphs = await body.locator(":scope > p").allInnerTexts();
        assert.deepEqual(paragraphs.slice(0, EXPECTED_PARAGRAPHS.length), EXPECTED_PARAGRAPHS);
        const image = body.locator("a.image-link");
        assert.equal(
          await image.innerText(),
          EXPECTED_PARAGRAPHS.find((p) => p.startsWith("Image: ")),
        );
        // The unterminated fence runs to the end: one code block, cut where rendering stops.
        assert.equal(await body.locator(".code-block").count(), 1);
        const code = (await body.locator("pre code").textContent()) ?? "";
        assert.ok(
          code.startsWith(HOSTILE_REPLY.pieces[FENCE_AT + 1]!),
          "the code block does not start where the fence opened",
        );
        assert.ok(FULL.includes(code.slice(0, 10_000)));
        assert.match(await body.locator(".render-note").innerText(), /too long to show in full/);
      })();
    }

    it("shows hostile HTML and script links as text: nothing runs, nothing is fetched", async () => {
      s.wb.context.on("request", (request) => {
        if (request.url().includes(`:${HOSTILE_PORT}/`)) browserRequests.push(request.url());
      });
      // The trap is reachable from this browser: a page that asks for it is heard.
      const probe = await s.wb.context.newPage();
      await probe.goto(`http://127.0.0.1:${HOSTILE_PORT}/probe`);
      await probe.close();
      assert.deepEqual(trap.requests, ["GET /probe"]);
      browserRequests.length = 0;

      chat = await s.wb.step("open chat", () => ChatView.open(s.wb));
      const turn = await chat.ask("Show me something nasty");
      await s.wb.step("hostile answer", () => expectHostileAnswer(turn));

      const report = await frameReport();
      assert.equal(
        report.global,
        null,
        `a hostile piece ran in the view (it set ${HOSTILE_GLOBAL} = ${report.global})`,
      );
      assert.deepEqual(report.dangerous, [], "event-handler attributes or script URLs are in the view's DOM");
      assert.deepEqual(report.elements, [], "the answer created elements that run or fetch things");
      for (const frame of s.wb.page.frames()) {
        const value = await frame
          .evaluate((name) => (window as unknown as Record<string, unknown>)[name], HOSTILE_GLOBAL)
          .catch(() => undefined);
        assert.equal(value, undefined, `${HOSTILE_GLOBAL} is set in ${frame.url().slice(0, 120)}`);
      }
      assert.deepEqual(trap.requests, ["GET /probe"], "the view asked the trap server for something");
      assert.deepEqual(browserRequests, [], "the browser requested the hostile URLs");
      await chat.body(turn).locator("p").first().scrollIntoViewIfNeeded();
      await chat.screenshot("chat hostile output shown as text");
    });

    it("the answer's Copy gives back the exact raw text, all of it", async () => {
      await s.wb.context.grantPermissions(["clipboard-read", "clipboard-write"], {
        origin: new URL(s.session.server.url).origin,
      });
      await chat.lastTurn.locator(".copy-answer").click();
      let length = 0;
      await waitUntil(
        s.wb,
        async () => {
          const text = await s.wb.page.evaluate(() => navigator.clipboard.readText()).catch(() => "");
          length = text.length;
          return text === FULL;
        },
        30_000,
        `the clipboard to hold the whole answer (${FULL.length} characters)`,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}; it holds ${length} characters`);
      });
    });

    it("has a strict CSP with a nonce, and the browser enforces it in the view", async () => {
      const page = await chat.evaluate(() => {
        const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
        return {
          policy: meta?.getAttribute("content") ?? null,
          scripts: Array.from(document.scripts).map((script) => ({
            src: script.src,
            nonce: script.nonce,
            text: script.textContent ?? "",
          })),
        };
      }, null);
      assert.ok(page.policy, "no CSP meta tag");
      const nonce = /script-src 'nonce-([A-Za-z0-9_-]{16,})'/.exec(page.policy)?.[1];
      assert.ok(nonce, `no script nonce in ${page.policy}`);
      for (const directive of ["default-src 'none'", "img-src 'none'", "frame-src 'none'", "connect-src 'none'"]) {
        assert.ok(page.policy.includes(directive), `the CSP lacks ${directive}`);
      }
      assert.doesNotMatch(page.policy, /unsafe-inline|unsafe-eval/);
      // Our bundle carries the nonce; the only other script is the API shim VS Code's webview host
      // puts into every webview (acquireVsCodeApi), before our document's policy applies.
      const ours = page.scripts.filter((x) => x.src.endsWith("/dist/webview/chat.js"));
      assert.deepEqual(
        ours.map((x) => x.nonce),
        [nonce],
        "the chat script does not carry the policy's nonce",
      );
      const others = page.scripts.filter((x) => !ours.includes(x));
      assert.ok(
        others.every((x) => x.src === "" && x.text.includes("acquireVsCodeApi")),
        `unexpected scripts: ${JSON.stringify(others.map((x) => x.src || x.text.slice(0, 80)))}`,
      );

      // Enforced, not just written: an inline script and an image added by hand are refused.
      const probe = await chat.evaluate(async (_root, port) => {
        const violations: string[] = [];
        document.addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
        const script = document.createElement("script");
        script.textContent = "window.__lcaCspProbe = 1";
        document.body.append(script);
        const image = new Image();
        await new Promise((resolve) => {
          image.onload = image.onerror = resolve;
          image.src = `http://127.0.0.1:${port}/csp-probe.png`;
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        script.remove();
        return { ran: (window as unknown as Record<string, unknown>).__lcaCspProbe ?? null, violations };
      }, HOSTILE_PORT);
      assert.equal(probe.ran, null, "an inline script ran despite the CSP");
      assert.ok(
        probe.violations.includes("script-src-elem") || probe.violations.includes("script-src"),
        `violations: ${probe.violations.join(", ")}`,
      );
      assert.ok(probe.violations.includes("img-src"), `violations: ${probe.violations.join(", ")}`);
      assert.deepEqual(trap.requests, ["GET /probe"], "the CSP let an image request through");
      // Playwright sees the refused attempt (failed by the CSP); only the hostile answer's URLs are watched from here on.
      const attempts = browserRequests.splice(0);
      assert.ok(
        attempts.every((u) => u.endsWith("/csp-probe.png")),
        `requests: ${attempts.join(", ")}`,
      );
    });

    it("stays responsive: the next question is answered, and nothing ran meanwhile", async () => {
      await chat.input.fill("Are you still there?");
      assert.equal(await chat.input.inputValue(), "Are you still there?");
      await chat.input.press("Enter");
      await chat.waitForTurnCount(2);
      const turn = chat.lastTurn;
      await s.wb.step("second answer", () => expectHostileAnswer(turn));
      // The first answer (250,000 characters) cannot fit the window: it is left out, with a note.
      assert.match(await turn.locator(".note").first().innerText(), /did not fit/);
      const report = await frameReport();
      assert.equal(report.global, null);
      assert.deepEqual(report.dangerous, []);
      assert.deepEqual(trap.requests, ["GET /probe"]);
      assert.deepEqual(browserRequests, []);
      await chat.screenshot("chat hostile output");
    });
  },
);
