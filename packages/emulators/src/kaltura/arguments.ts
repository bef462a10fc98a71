/**
 * Action arguments as KalturaRequestDeserializer builds them: each declared parameter is taken from
 * the request and cast to its type; a missing one without a default is MISSING_MANDATORY_PARAMETER;
 * an enum outside its values is INVALID_ENUM_VALUE; an object keeps only its declared properties.
 * This runs before the KS is validated and before permissions (KalturaDispatcher::dispatch).
 */
import { errors } from './api-error.js';
import type { Params } from './params.js';

/** An enum: its API name and its values (KalturaTypeReflector::checkEnumValue compares loosely). */
export interface EnumType {
  enum: string;
  values: readonly (number | string)[];
  /** A string enum (KalturaStringEnum): compared as strings. */
  strings?: boolean;
}

/** A property of an object parameter. */
export interface PropDecl {
  type: Scalar | EnumType;
  /** `@readonly`: setting it is PROPERTY_VALIDATION_NOT_UPDATABLE. */
  readonly?: boolean;
  /** `@insertonly`: setting it on update is PROPERTY_VALIDATION_NOT_UPDATABLE. */
  insertOnly?: boolean;
}

/** An object parameter type (KalturaAppToken, ...). */
export interface ObjectType {
  object: string;
  props: Readonly<Record<string, PropDecl>>;
}

/** Simple types; `time` values within ±10 years count from now (kTime::getRelativeTime). */
export type Scalar = 'string' | 'int' | 'bool' | 'time';

/** One declared action parameter. */
export interface ParamDecl {
  name: string;
  type: Scalar | EnumType | ObjectType;
  /** Present when the PHP signature gives a default (`= null` included): the parameter is optional. */
  default?: unknown;
}

/** A property the request set to null with `name__null` (KalturaNullField). */
export const NULL_FIELD: unique symbol = Symbol('KalturaNullField');

/** The arguments of one call, by parameter name. */
export type Arguments = Record<string, unknown>;

/** A built object argument: the declared properties that were sent, cast. */
export type ObjectArgument = Record<string, unknown>;

const MAX_RELATIVE_TIME = 315_360_000; // configurations/base.ini max_relative_time (10 years)
const REMOVE_DATE = -1; // kTime::REMOVE_DATE

/** PHP `(int)` on a request value. */
function phpInt(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return 0;
  const m = value.match(/^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/);
  return m ? Math.trunc(Number(m[0])) : 0;
}

/** PHP `(string)` on a request value. */
export function phpString(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value === true) return '1';
  if (typeof value === 'object') return 'Array';
  return String(value);
}

/** kTime::getRelativeTime with the clock in seconds. */
function relativeTime(value: unknown, nowSeconds: number): number {
  if (value === null || value === undefined || phpString(value) === '') return 0;
  const n = phpInt(value);
  if (n === REMOVE_DATE) return n;
  return -MAX_RELATIVE_TIME <= n && n <= MAX_RELATIVE_TIME ? nowSeconds + n : n;
}

function castScalar(type: Scalar, value: unknown, nowSeconds: number): unknown {
  switch (type) {
    case 'int':
      return phpInt(value);
    case 'string':
      return phpString(value);
    case 'bool':
      return typeof value === 'string' && value.toLowerCase() === 'false'
        ? false
        : Boolean(value) && value !== '0';
    case 'time':
      return relativeTime(value, nowSeconds);
  }
}

/** PHP 8 loose `==` between a request value and an int enum constant. */
function looseEqualsInt(value: unknown, constant: number): boolean {
  if (typeof value === 'number') return value === constant;
  if (typeof value === 'boolean') return (value ? 1 : 0) === constant;
  if (typeof value !== 'string') return false;
  // A numeric string (leading and trailing whitespace allowed) compares as a number.
  return /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) && Number(value) === constant;
}

/** Check an enum value (after `true`/`false` became 1/0) and cast it. */
function castEnum(type: EnumType, raw: unknown, name: string): unknown {
  if (type.strings) {
    if (!type.values.some((v) => v === raw || (typeof raw === 'number' && String(raw) === v))) {
      throw errors.invalidEnum(phpString(raw), name, type.enum);
    }
    return phpString(raw);
  }
  let value = raw;
  if (typeof value === 'string' && value.toLowerCase() === 'true') value = 1;
  if (typeof value === 'string' && value.toLowerCase() === 'false') value = 0;
  if (!type.values.some((v) => typeof v === 'number' && looseEqualsInt(value, v))) {
    throw errors.invalidEnum(phpString(value), name, type.enum);
  }
  return phpInt(value);
}

/** KalturaRequestDeserializer::groupParams: `a:b:c` keys of the call nest as `a.b.c`. */
function groupParams(params: Params): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(params)) {
    const path = key.split(':');
    let node = out;
    for (let i = 0; i < path.length; i++) {
      const k = path[i]!;
      if (k === '-' && i === path.length - 1) break;
      if (i === path.length - 1) {
        node[k] = value;
      } else {
        if (!node[k] || typeof node[k] !== 'object' || Array.isArray(node[k])) node[k] = {};
        node = node[k] as Params;
      }
    }
  }
  return out;
}

/** KalturaRequestDeserializer::buildObject: the declared properties of an object parameter. */
function buildObject(type: ObjectType, raw: unknown, nowSeconds: number): ObjectArgument {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const out: ObjectArgument = {};
  for (const [key, value] of Object.entries(raw as Params)) {
    const isNull = key.endsWith('__null');
    const name = isNull ? key.replace('__null', '') : key;
    const prop = type.props[name];
    if (!prop) continue;
    if (isNull) {
      out[name] = NULL_FIELD;
      continue;
    }
    out[name] =
      typeof prop.type === 'string'
        ? castScalar(prop.type, value, nowSeconds)
        : castEnum(prop.type, value, name);
  }
  return out;
}

/** KalturaRequestDeserializer::buildActionArguments for `decls` from the call's parameters. */
export function buildArguments(decls: readonly ParamDecl[], params: Params, nowSeconds: number): Arguments {
  const grouped = groupParams(params);
  const args: Arguments = {};
  for (const decl of decls) {
    const present = Object.hasOwn(grouped, decl.name) && grouped[decl.name] !== undefined;
    const value = grouped[decl.name];
    const optional = Object.hasOwn(decl, 'default');
    if (typeof decl.type === 'string') {
      if (present) args[decl.name] = castScalar(decl.type, value, nowSeconds);
      else if (optional) args[decl.name] = decl.default;
      else throw errors.missingParameter(decl.name);
    } else if ('enum' in decl.type) {
      if (present) args[decl.name] = castEnum(decl.type, value, decl.name);
      else if (optional) args[decl.name] = decl.default;
      else throw errors.missingParameter(decl.name);
    } else if (value !== null && value !== undefined) {
      args[decl.name] = buildObject(decl.type, value, nowSeconds);
    } else if (optional) {
      args[decl.name] = decl.default;
    } else {
      throw errors.missingParameter(decl.name);
    }
  }
  return args;
}

/** KalturaObject::validateForInsert: a read-only property that was sent is refused. */
export function validateForInsert(type: ObjectType, obj: ObjectArgument): void {
  for (const [name, prop] of Object.entries(type.props)) {
    if (prop.readonly && obj[name] !== undefined && obj[name] !== NULL_FIELD) {
      throw errors.notUpdatable(`${type.object}::${name}`);
    }
  }
}

/** KalturaObject::validateForUpdate: a read-only or insert-only property sent with a new value is refused. */
export function validateForUpdate(
  type: ObjectType,
  obj: ObjectArgument,
  current: Record<string, unknown>,
): void {
  for (const [name, prop] of Object.entries(type.props)) {
    const value = obj[name];
    if (value === undefined || value === NULL_FIELD || value === current[name]) continue;
    if (prop.readonly || prop.insertOnly) throw errors.notUpdatable(`${type.object}::${name}`);
  }
}

/** The `name` property is unset (KalturaObject::isNull). */
export function isNull(obj: ObjectArgument, name: string): boolean {
  return obj[name] === undefined || obj[name] === null || obj[name] === NULL_FIELD;
}
