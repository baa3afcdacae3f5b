import * as assert from "node:assert/strict";
import { capLength, redactSecrets, safeServerText } from "../../../src/core/security/redact";

describe("redactSecrets: one function for every message that can hold a secret (issue #16)", () => {
  it("removes a known secret wherever it appears, also URL-encoded", () => {
    const key = "my-s3cret/key+1";
    assert.equal(
      redactSecrets(`Invalid API key: ${key} (sent ${encodeURIComponent(key)})`, [key]),
      "Invalid API key: [redacted] (sent [redacted])",
    );
    assert.equal(redactSecrets("nothing here", [null, undefined, ""]), "nothing here");
  });

  it("removes the shapes secrets come in", () => {
    const cases: [string, RegExp][] = [
      ["Invalid API key: Bearer sk-abcdef0123456789", /^Invalid API key: Bearer \[redacted\]$/],
      ['{"headers":{"Authorization":"Bearer abcdefgh1234"}}', /"Authorization":"Bearer \[redacted\]"/],
      ["authorization: Basic dXNlcjpwYXNz", /^authorization: Basic \[redacted\]$/],
      [
        "Cannot reach https://alice:hunter22@mirror.example/x (ECONNREFUSED)",
        /^Cannot reach https:\/\/\[redacted\]@mirror\.example\/x \(ECONNREFUSED\)$/,
      ],
      ["key sk-proj-AbCdEf123456 was rejected", /^key sk-\[redacted\] was rejected$/],
      ["token hf_AbCdEfGhIjKlMn", /^token hf_\[redacted\]$/],
      ["GET /v1/models?api_key=abc123456&x=1", /api_key=\[redacted\]&x=1/],
      ['{"password": "p4ssw0rd!"}', /"password": "\[redacted\]"/],
    ];
    for (const [input, expected] of cases) {
      const out = redactSecrets(input);
      assert.match(out, expected, input);
      assert.doesNotMatch(
        out,
        /sk-abc|abcdefgh1234|dXNlcjpwYXNz|hunter22|AbCdEf123456|hf_AbCd|abc123456|p4ssw0rd/,
        input,
      );
    }
  });

  it("leaves ordinary text alone", () => {
    for (const text of [
      "Could not load /m/a.gguf: unknown model architecture: 'nonesuch'",
      "max tokens: 64",
      "Unexpected token < in JSON at position 0",
      "http://127.0.0.1:8080/v1/models",
    ])
      assert.equal(redactSecrets(text), text);
  });

  it("caps server text, after redacting (a cut never leaves half a secret)", () => {
    const long = `Bearer sk-${"x".repeat(100)} ${"y".repeat(60_000)}`;
    const out = safeServerText(long, [], 200);
    assert.ok(out.length < 260, String(out.length));
    assert.match(out, /^Bearer \[redacted\] y+\.\.\. \(\d+ more characters\)$/);
    assert.equal(capLength("short"), "short");
  });
});
