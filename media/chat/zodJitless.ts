/**
 * Imported first by the webview entry point: zod probes `new Function` (and compiles object
 * parsers with it) when schemas are built; the webview's CSP forbids eval, and Chromium reports the
 * probe as a CSP violation even though zod catches it. Jitless mode skips both.
 */
import * as z from "zod";

z.config({ jitless: true });
