using Acornima.Ast;
using Jint;

namespace Carapace.Enclave.Js;

/// <summary>
/// The globals a JavaScript function gets besides the language's own, written in JavaScript over four native
/// functions (log, random 32-bit words, the enclave's monotonic milliseconds, the end of a run): <c>console</c>,
/// <c>process.env</c>, <c>TextEncoder</c>/<c>TextDecoder</c> (UTF-8), <c>Buffer</c> basics (from/toString/concat/alloc/byteLength/isBuffer
/// with utf8, base64, hex), <c>atob</c>/<c>btoa</c>, <c>crypto.getRandomValues</c>/<c>crypto.randomUUID</c>,
/// <c>setTimeout</c>/<c>clearTimeout</c> (timers run while the action's Promise is pending, within its time limit),
/// <c>module.exports</c>/<c>exports</c>, and <c>require</c> of <c>crypto</c>, <c>buffer</c> and <c>util</c> only (anything
/// else throws, naming what exists). No file system, network, process control or host object exists.
/// The driver (<c>__carapace</c>) calls the action's main with the parameters and settles its result as OpenWhisk's
/// Node.js runtime does.
/// </summary>
internal static class JsPrelude
{
    public const string Source = """
        (function (g, n) {
          'use strict';
          const hex = '0123456789abcdef';
          const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
          function fmt(v) {
            if (typeof v === 'string') return v;
            if (v instanceof Error) return v.stack || (v.name + ': ' + v.message);
            if (typeof v === 'object' && v !== null) { try { return JSON.stringify(v); } catch (e) { return String(v); } }
            return String(v);
          }
          function line() { n.log(Array.prototype.map.call(arguments, fmt).join(' ')); }
          g.console = { log: line, info: line, debug: line, warn: line, error: line, trace: line };
          function utf8(s) {
            s = String(s); const out = [];
            for (let i = 0; i < s.length; i++) {
              let c = s.charCodeAt(i);
              if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) { const d = s.charCodeAt(i + 1); if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } }
              if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
              if (c < 0x80) out.push(c);
              else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
              else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
              else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
            }
            return new Uint8Array(out);
          }
          function fromUtf8(b) {
            let s = '';
            for (let i = 0; i < b.length;) {
              const c = b[i++]; let cp = 0xfffd;
              if (c < 0x80) cp = c;
              else if (c >= 0xc2 && c < 0xe0 && i < b.length) cp = ((c & 31) << 6) | (b[i++] & 63);
              else if (c >= 0xe0 && c < 0xf0 && i + 1 < b.length) { cp = ((c & 15) << 12) | ((b[i] & 63) << 6) | (b[i + 1] & 63); i += 2; }
              else if (c >= 0xf0 && c < 0xf5 && i + 2 < b.length) { cp = ((c & 7) << 18) | ((b[i] & 63) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63); i += 3; }
              s += String.fromCodePoint(cp);
            }
            return s;
          }
          function toBase64(b) {
            let s = '';
            for (let i = 0; i < b.length; i += 3) {
              const x = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
              s += b64[(x >> 18) & 63] + b64[(x >> 12) & 63] + (i + 1 < b.length ? b64[(x >> 6) & 63] : '=') + (i + 2 < b.length ? b64[x & 63] : '=');
            }
            return s;
          }
          function fromBase64(s) {
            s = String(s).replace(/[^A-Za-z0-9+/\-_]/g, ''); const out = []; let acc = 0, bits = 0;
            for (let i = 0; i < s.length; i++) {
              let v = b64.indexOf(s[i]); if (v < 0) v = s[i] === '-' ? 62 : 63;
              acc = (acc << 6) | v; bits += 6;
              if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 255); }
            }
            return new Uint8Array(out);
          }
          class TextEncoder { get encoding() { return 'utf-8'; } encode(s) { return utf8(s === undefined ? '' : s); } }
          class TextDecoder { get encoding() { return 'utf-8'; } decode(b) { return b === undefined ? '' : fromUtf8(new Uint8Array(b.buffer || b, b.byteOffset || 0, b.byteLength === undefined ? b.length : b.byteLength)); } }
          g.TextEncoder = TextEncoder; g.TextDecoder = TextDecoder;
          class Buffer extends Uint8Array {
            static from(v, enc) {
              let bytes;
              if (typeof v === 'string') {
                enc = (enc || 'utf8').toLowerCase();
                if (enc === 'base64' || enc === 'base64url') bytes = fromBase64(v);
                else if (enc === 'hex') { bytes = new Uint8Array(v.length >> 1); for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(v.substr(i * 2, 2), 16); }
                else if (enc === 'utf8' || enc === 'utf-8') bytes = utf8(v);
                else throw new TypeError('Unknown encoding: ' + enc + ' (Carapace supports utf8, base64, hex)');
              } else bytes = new Uint8Array(v);
              const b = new Buffer(bytes.length); b.set(bytes); return b;
            }
            static alloc(size) { return new Buffer(size); }
            static isBuffer(v) { return v instanceof Buffer; }
            static byteLength(s) { return typeof s === 'string' ? utf8(s).length : s.byteLength; }
            static concat(list) { let total = 0; for (const b of list) total += b.length; const out = new Buffer(total); let at = 0; for (const b of list) { out.set(b, at); at += b.length; } return out; }
            toString(enc) {
              enc = (enc || 'utf8').toLowerCase();
              if (enc === 'base64') return toBase64(this);
              if (enc === 'hex') { let s = ''; for (let i = 0; i < this.length; i++) s += hex[this[i] >> 4] + hex[this[i] & 15]; return s; }
              if (enc === 'utf8' || enc === 'utf-8') return fromUtf8(this);
              throw new TypeError('Unknown encoding: ' + enc + ' (Carapace supports utf8, base64, hex)');
            }
            toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
          }
          g.Buffer = Buffer;
          g.btoa = function (s) { s = String(s); const b = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255; return toBase64(b); };
          g.atob = function (s) { const b = fromBase64(s); let r = ''; for (let i = 0; i < b.length; i++) r += String.fromCharCode(b[i]); return r; };
          function getRandomValues(a) {
            if (!ArrayBuffer.isView(a)) throw new TypeError('crypto.getRandomValues needs a typed array');
            if (a.byteLength > 65536) throw new RangeError('crypto.getRandomValues: at most 65536 bytes at a time');
            const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
            for (let i = 0; i < bytes.length; i += 4) { const w = n.random32(); for (let j = 0; j < 4 && i + j < bytes.length; j++) bytes[i + j] = (w >>> (8 * j)) & 255; }
            return a;
          }
          function randomUUID() {
            const b = getRandomValues(new Uint8Array(16)); b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
            let s = ''; for (let i = 0; i < 16; i++) { if (i === 4 || i === 6 || i === 8 || i === 10) s += '-'; s += hex[b[i] >> 4] + hex[b[i] & 15]; }
            return s;
          }
          const crypto = { getRandomValues, randomUUID };
          crypto.webcrypto = crypto;
          g.crypto = crypto;
          const timers = new Map(); let nextTimer = 1;
          g.setTimeout = function (fn, ms) { const id = nextTimer++; const args = Array.prototype.slice.call(arguments, 2); timers.set(id, { due: n.now() + Math.max(0, Number(ms) || 0), fn, args }); return id; };
          g.clearTimeout = function (id) { timers.delete(id); };
          g.setImmediate = function (fn) { return g.setTimeout.apply(null, [fn, 0].concat(Array.prototype.slice.call(arguments, 1))); };
          g.clearImmediate = g.clearTimeout;
          const modules = { crypto, buffer: { Buffer }, util: { TextEncoder, TextDecoder } };
          g.require = function (name) {
            const key = String(name).replace(/^node:/, '');
            if (Object.prototype.hasOwnProperty.call(modules, key)) return modules[key];
            throw new Error("Cannot find module '" + name + "': Carapace's JavaScript enclave has no file system, network or Node.js built-ins; require() gives only crypto, buffer and util");
          };
          g.module = { exports: {} };
          g.exports = g.module.exports;
          g.process = { env: n.env, platform: 'carapace', version: 'v0.0.0-carapace-jint', versions: {} };
          function errorText(e) {
            if (e instanceof Error) return e.name && e.name !== 'Error' ? e.name + ': ' + e.message : e.message;
            return e === undefined ? 'undefined' : fmt(e);
          }
          function ok(r) {
            if (r === undefined || r === null) r = {};
            if (typeof r !== 'object') { n.finish(true, JSON.stringify({ error: 'The action did not return a dictionary.' })); return; }
            let json;
            try { json = JSON.stringify(r); } catch (e) { n.finish(true, JSON.stringify({ error: 'The action returned a result that is not JSON: ' + errorText(e) })); return; }
            n.finish(!Array.isArray(r) && Object.prototype.hasOwnProperty.call(r, 'error'), json === undefined ? '{}' : json);
          }
          function fail(e) {
            if (e && typeof e === 'object' && !(e instanceof Error) && Object.prototype.hasOwnProperty.call(e, 'error')) { ok(e); return; }
            n.finish(true, JSON.stringify({ error: errorText(e) }));
          }
          return {
            start(main, input) {
              if (typeof main !== 'function') { const m = g.module.exports; main = typeof m === 'function' ? m : m && m[n.mainName]; }
              if (typeof main !== 'function') { n.finish(true, JSON.stringify({ error: "The action's code defines no function '" + n.mainName + "'." })); return; }
              let params;
              try { params = input.length === 0 ? {} : JSON.parse(input); } catch (e) { n.finish(true, JSON.stringify({ error: 'The input is not JSON.' })); return; }
              let r;
              try { r = main(params); } catch (e) { fail(e); return; }
              if (r !== null && typeof r === 'object' && typeof r.then === 'function') r.then(ok, fail); else ok(r);
            },
            nextDelay() { let best = -1; const now = n.now(); for (const t of timers.values()) { const d = Math.max(0, t.due - now); if (best < 0 || d < best) best = d; } return best; },
            fire() { const now = n.now(); for (const [id, t] of Array.from(timers)) { if (t.due <= now) { timers.delete(id); t.fn.apply(null, t.args); } } }
          };
        })
        """;

    /// <summary>The prelude, parsed once per process.</summary>
    public static Prepared<Script> Prepared { get; } = Engine.PrepareScript(Source, "carapace-prelude.js");
}
