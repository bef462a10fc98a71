/**
 * The two response formats the emulator speaks, as the server writes them: JSON for `format=1`
 * (KalturaJsonSerializer) and XML for `format=2` or no format at all, the server's default
 * (KalturaFrontController::setSerializerByFormat, KalturaXmlSerializer).
 */
import { ApiError } from './api-error.js';
import { KalturaObject } from './objects.js';

/** A serializer of one result, and of the envelope around one or several (multirequest) results. */
export interface Serializer {
  contentType: string;
  /** One result (an object, a primitive, an exception or null for a void action). */
  serialize(value: unknown): string;
  /** The body for a single call's serialized result. */
  single(serialized: string, seconds: number): string;
  /** The body for a multirequest's serialized results (KalturaFrontController::handleSerializedObjectArray). */
  multi(serialized: string[], seconds: number): string;
}

/** `format` 1 (JSON) or 2 (XML, also when absent); undefined for any other value. */
export function serializerFor(format: unknown, ignoreNull: unknown): Serializer | undefined {
  if (format === undefined || format === null) return xml(ignoreNull);
  // The server compares loosely (PHP `switch`): "1", 1 and "01" are all JSON.
  const n =
    typeof format === 'number' ? format : /^\s*\d+\s*$/.test(String(format)) ? Number(format) : Number.NaN;
  if (n === 1) return json;
  if (n === 2) return xml(ignoreNull);
  return undefined;
}

/** json_encode's default escaping: `/` as `\/`, non-ASCII as `\uXXXX` (no JSON_UNESCAPED_* flags). */
function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** KalturaJsonSerializer::unsetNull: nulls dropped at every level, `objectType` appended to objects. */
function unsetNull(value: unknown): unknown {
  if (value instanceof ApiError) return value.toJSON();
  if (value instanceof KalturaObject) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value.props))
      if (v !== null && v !== undefined) out[k] = unsetNull(v);
    out.objectType = value.objectType;
    return out;
  }
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(unsetNull);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = unsetNull(v);
    return out;
  }
  return value;
}

const json: Serializer = {
  contentType: 'application/json',
  serialize: (value) => (value === null || value === undefined ? 'null' : phpJson(unsetNull(value))),
  single: (serialized) => serialized,
  multi: (serialized) => `[${serialized.join(',')}]`,
};

/** kString::xmlEncode. */
function xmlEncode(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;');
}

/** KalturaXmlSerializer::serializeByType. */
function xmlValue(value: unknown, ignoreNull: boolean): string {
  if (value instanceof ApiError) {
    const args = Object.entries(value.args)
      .map(
        ([name, v]) =>
          `<item><objectType>KalturaApiExceptionArg</objectType><name>${xmlEncode(name)}</name><value>${xmlEncode(v)}</value></item>`,
      )
      .join('');
    return `<error><code>${xmlEncode(value.code)}</code><message>${xmlEncode(value.message)}</message><objectType>KalturaAPIException</objectType><args>${args}</args></error>`;
  }
  if (value instanceof KalturaObject) {
    let out = `<objectType>${value.objectType}</objectType>`;
    for (const [name, v] of Object.entries(value.props)) {
      if (ignoreNull && (v === null || v === undefined)) continue;
      out += `<${name}>${xmlValue(v, ignoreNull)}</${name}>`;
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => `<item>${xmlValue(v, ignoreNull)}</item>`).join('');
  if (typeof value === 'boolean') return value ? '1' : '0';
  return xmlEncode(value);
}

const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?><xml><result>';
const xmlFoot = (seconds: number) => `</result><executionTime>${seconds}</executionTime></xml>`;

function xml(ignoreNull: unknown): Serializer {
  // `ignoreNull` is honoured only as "1" or true (KalturaFrontController::setSerializerByFormat).
  const skip = ignoreNull === '1' || ignoreNull === true;
  return {
    contentType: 'text/xml',
    serialize: (value) => xmlValue(value, skip),
    single: (serialized, seconds) => `${XML_HEAD}${serialized}${xmlFoot(seconds)}`,
    multi: (serialized, seconds) =>
      `${XML_HEAD}${serialized.map((s) => `<item>${s}</item>`).join('')}${xmlFoot(seconds)}`,
  };
}
