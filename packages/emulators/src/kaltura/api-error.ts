/** Kaltura API exceptions as the server serializes them (HTTP 200, `objectType: KalturaAPIException`). */

/** An API exception an emulated action throws. */
export class ApiError extends Error {
  readonly code: string;
  readonly args: Record<string, string>;
  constructor(code: string, message: string, args: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.args = args;
  }

  /** The wire form; `args` is `[]` when empty, as PHP serializes an empty array. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      objectType: 'KalturaAPIException',
      args: Object.keys(this.args).length ? this.args : [],
    };
  }
}

/** The errors the emulator uses, with the server's message templates. */
export const errors = {
  missingKs: () => new ApiError('MISSING_KS', 'Missing KS, session not established'),
  invalidKs: (ksid: string, errCode = '-1', errDesc = 'INVALID_STR') =>
    new ApiError('INVALID_KS', `Invalid KS "${ksid}", Error "${errCode},${errDesc}"`, {
      KSID: ksid,
      ERR_CODE: errCode,
      ERR_DESC: errDesc,
    }),
  serviceForbidden: (service: string, action: string) =>
    new ApiError('SERVICE_FORBIDDEN', `The access to service [${service}->${action}] is forbidden`, {
      SERVICE: `${service}->${action}`,
    }),
  startSession: (pid: string) =>
    new ApiError('START_SESSION_ERROR', `Error while starting session for partner [${pid}]`, {
      PARTNER_ID: pid,
    }),
  invalidWidget: (id: string) =>
    new ApiError('INVALID_WIDGET_ID', `Invalid widget id [${id}]`, { WIDGET_ID: id }),
  tokenNotFound: (id: string) =>
    new ApiError('APP_TOKEN_ID_NOT_FOUND', `Application token id [${id}] not found`, { ID: id }),
  tokenNotActive: (id: string) =>
    new ApiError('APP_TOKEN_NOT_ACTIVE', `Application token id [${id}] is not active`, { ID: id }),
  tokenExpired: (id: string) =>
    new ApiError('APP_TOKEN_EXPIRED', `Application token id [${id}] is expired`, { ID: id }),
  invalidHash: () => new ApiError('INVALID_APP_TOKEN_HASH', 'Invalid application token hash'),
  cannotBeNull: (prop: string) =>
    new ApiError('PROPERTY_VALIDATION_CANNOT_BE_NULL', `The property "${prop}" cannot be null`, {
      PROP_NAME: prop,
    }),
  invalidField: (field: string) =>
    new ApiError('INVALID_FIELD_VALUE', `Invalid field value [${field}]`, { FIELD_NAME: field }),
  invalidEnum: (value: string, prop: string, enumName: string) =>
    new ApiError(
      'INVALID_ENUM_VALUE',
      `Invalid enumeration value [${value}] for property [${prop}] of enum [${enumName}]`,
      { VALUE: value, PROP_NAME: prop, ENUM: enumName },
    ),
  duplicateUser: (id: string) =>
    new ApiError('DUPLICATE_USER_BY_ID', `User with identifier [${id}] already exists in system`, {
      USER_ID: id,
    }),
  userRoleNotFound: () => new ApiError('USER_ROLE_NOT_FOUND', 'User role not found'),
  categoryNotFound: (id: string) =>
    new ApiError('CATEGORY_NOT_FOUND', `Category id "${id}" not found`, { CATEGORY_ID: id }),
  categoryUserExists: () => new ApiError('CATEGORY_USER_ALREADY_EXISTS', 'Category user already exists'),
  unknownRole: (id: string) => new ApiError('UNKNOWN_ROLE_ID', `Unknown role id [${id}]`, { ROLE_ID: id }),
  invalidSetRole: () => new ApiError('INVALID_SET_ROLE', 'Invalid set role'),
  invalidActionsLimit: () => new ApiError('INVALID_ACTIONS_LIMIT', 'Invalid actions limit'),
  partnerForbidden: (pid: string) =>
    new ApiError('PARTNER_ACCESS_FORBIDDEN', `Access to partner [${pid}] is forbidden`, { PARTNER_ID: pid }),
  noService: (service: string) =>
    new ApiError('SERVICE_DOES_NOT_EXISTS', `Service "${service}" does not exist`, { SERVICE: service }),
  noAction: (action: string, service: string) =>
    new ApiError('ACTION_DOES_NOT_EXISTS', `Action "${action}" does not exists for service "${service}"`, {
      ACTION: action,
      SERVICE: service,
    }),
};
