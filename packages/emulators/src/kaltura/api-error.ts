/**
 * Kaltura API exceptions, built from the server's own error strings `CODE;ARG,NAMES;message with @ARG@`
 * (api_v3/lib/KalturaErrors.php, alpha/apps/kaltura/lib/webservices/APIErrors.class.php) the way
 * APIErrors::getErrorData does: each argument is stripped of tags, a missing one is `N/A`, and
 * `@NAME@` in the message is replaced by it.
 */

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

/** PHP `strip_tags`, close enough for argument values: drops `<...>` and an unclosed `<...` tail. */
function stripTags(text: string): string {
  return text.replace(/<[^>]*>?/g, '');
}

/** APIErrors::getErrorData: an {@link ApiError} from a template and its arguments in order. */
export function fromTemplate(
  template: string,
  ...values: Array<string | number | null | undefined>
): ApiError {
  const [code = '', names = '', text = ''] = splitTemplate(template);
  const args: Record<string, string> = {};
  let message = text;
  if (names) {
    names.split(',').forEach((name, i) => {
      const value = values[i];
      args[name] = value === undefined || value === null ? 'N/A' : stripTags(String(value));
      message = message.replaceAll(`@${name}@`, args[name]!);
    });
  }
  return new ApiError(code, message, args);
}

/** `explode(';', $errorString, 3)`. */
function splitTemplate(template: string): [string, string, string] {
  const first = template.indexOf(';');
  const second = template.indexOf(';', first + 1);
  return [template.slice(0, first), template.slice(first + 1, second), template.slice(second + 1)];
}

/**
 * The error strings the emulator uses, copied from the server. Where KalturaErrors redefines an
 * APIErrors constant, the one the throwing code names is used (noted per entry).
 */
export const TEMPLATES = {
  // KalturaErrors (overrides APIErrors' "Missing KS. Session not established")
  MISSING_KS: 'MISSING_KS;;Missing KS, session not established',
  // KalturaErrors (overrides APIErrors' "Invalid KS [@KSID@]. Error [...]")
  INVALID_KS: 'INVALID_KS;KSID,ERR_CODE,ERR_DESC;Invalid KS "@KSID@", Error "@ERR_CODE@,@ERR_DESC@"',
  // KalturaErrors::INTERNAL_SERVERL_ERROR (sic: the code carries the typo)
  INTERNAL_SERVERL_ERROR: 'INTERNAL_SERVERL_ERROR;;Internal server error occurred',
  SERVICE_NOT_SPECIFIED: 'SERVICE_NOT_SPECIFIED;;Service name was not specified, please specify one',
  SERVICE_DOES_NOT_EXISTS: 'SERVICE_DOES_NOT_EXISTS;SRV_NAME;Service "@SRV_NAME@" does not exists',
  ACTION_NOT_SPECIFIED: 'ACTION_NOT_SPECIFIED;;Action name was not specified, please specify one',
  ACTION_DOES_NOT_EXISTS:
    'ACTION_DOES_NOT_EXISTS;ACTION_NAME,SERVICE_NAME;Action "@ACTION_NAME@" does not exists for service "@SERVICE_NAME@"',
  MISSING_MANDATORY_PARAMETER: 'MISSING_MANDATORY_PARAMETER;PARAM_NAME;Missing parameter "@PARAM_NAME@"',
  INVALID_ENUM_VALUE:
    'INVALID_ENUM_VALUE;ENUM_VAL,PARAM_NAME,ENUM_TYPE;Invalid enumeration value "@ENUM_VAL@" for parameter "@PARAM_NAME@", expecting enumeration type "@ENUM_TYPE@"',
  PROPERTY_VALIDATION_CANNOT_BE_NULL:
    'PROPERTY_VALIDATION_CANNOT_BE_NULL;PROP_NAME;The property "@PROP_NAME@" cannot be null',
  PROPERTY_VALIDATION_MIN_LENGTH:
    'PROPERTY_VALIDATION_MIN_LENGTH;PROP_NAME,MIN_LEN;The property "@PROP_NAME@" must have a min length of @MIN_LEN@ characters',
  PROPERTY_VALIDATION_NOT_UPDATABLE:
    'PROPERTY_VALIDATION_NOT_UPDATABLE;PROP_NAME;The property "@PROP_NAME@" cannot be updated',
  INVALID_OBJECT_ID: 'INVALID_OBJECT_ID;ID;Invalid object id [@ID@]',
  APP_TOKEN_ID_NOT_FOUND: 'APP_TOKEN_ID_NOT_FOUND;ID;Application token id "@ID@" not found',
  APP_TOKEN_NOT_ACTIVE: 'APP_TOKEN_NOT_ACTIVE;ID;Application token id "@ID@" not active',
  APP_TOKEN_EXPIRED: 'APP_TOKEN_EXPIRED;ID;Application token id "@ID@" expired',
  INVALID_APP_TOKEN_HASH: 'INVALID_APP_TOKEN_HASH;;Invalid application token hash',
  CATEGORY_NOT_FOUND: 'CATEGORY_NOT_FOUND;ID;Category id "@ID@" not found',
  CATEGORY_USER_ALREADY_EXISTS: 'CATEGORY_USER_ALREADY_EXISTS;;CategoryUser already exists',
  // KalturaErrors::INVALID_USER_ID (APIErrors' one takes PUSER)
  INVALID_USER_ID: 'INVALID_USER_ID;;Invalid user id',
  ROLE_NAME_ALREADY_EXISTS: 'ROLE_NAME_ALREADY_EXISTS;;A role with the same name already exists',
  // APIErrors
  START_SESSION_ERROR: 'START_SESSION_ERROR;PID;Error while starting session for partner [@PID@]',
  INVALID_ACTIONS_LIMIT: 'INVALID_ACTIONS_LIMIT;;Invalid actions limit',
  INVALID_SET_ROLE: 'INVALID_SET_ROLE;;Invalid set role id',
  UNKNOWN_ROLE_ID: 'UNKNOWN_ROLE_ID;;Unknown role id',
  DUPLICATE_USER_BY_ID: 'DUPLICATE_USER_BY_ID;UID;User with id [@UID@] already exists in system',
  INVALID_WIDGET_ID: 'INVALID_WIDGET_ID;WIDGET_ID;Unknown widget [@WIDGET_ID@]',
  SERVICE_FORBIDDEN: 'SERVICE_FORBIDDEN;SERVICE;The access to service [@SERVICE@] is forbidden',
  SERVICE_FORBIDDEN_CONTENT_BLOCKED:
    'SERVICE_FORBIDDEN_CONTENT_BLOCKED;;The access to this service is forbidden since the specified partner is blocked',
  INVALID_FIELD_VALUE: 'INVALID_FIELD_VALUE;FIELD_NAME;value in field [@FIELD_NAME@] is not valid',
  USER_ROLE_NOT_FOUND: 'USER_ROLE_NOT_FOUND;;User role not found',
  UNKNOWN_RESPONSE_FORMAT:
    'UNKNOWN_RESPONSE_FORMAT;FORMAT;Response format provided [@FORMAT@] is not recognized by server',
} as const;

/** The errors the emulator throws, named after their code. */
export const errors = {
  missingKs: () => fromTemplate(TEMPLATES.MISSING_KS),
  /** KSID is the KS itself when it does not parse, or the reason (EXPIRED, LOGOUT, ...) from errorIfKsNotValid. */
  invalidKs: (ksid: string) => fromTemplate(TEMPLATES.INVALID_KS, ksid, -1, 'INVALID_STR'),
  internal: () => fromTemplate(TEMPLATES.INTERNAL_SERVERL_ERROR),
  noServiceGiven: () => fromTemplate(TEMPLATES.SERVICE_NOT_SPECIFIED),
  noService: (service: string) => fromTemplate(TEMPLATES.SERVICE_DOES_NOT_EXISTS, service),
  noActionGiven: () => fromTemplate(TEMPLATES.ACTION_NOT_SPECIFIED),
  noAction: (action: string, service: string) =>
    fromTemplate(TEMPLATES.ACTION_DOES_NOT_EXISTS, action, service),
  missingParameter: (name: string) => fromTemplate(TEMPLATES.MISSING_MANDATORY_PARAMETER, name),
  invalidEnum: (value: unknown, name: string, enumType: string) =>
    fromTemplate(TEMPLATES.INVALID_ENUM_VALUE, String(value), name, enumType),
  cannotBeNull: (prop: string) => fromTemplate(TEMPLATES.PROPERTY_VALIDATION_CANNOT_BE_NULL, prop),
  minLength: (prop: string, min: number) => fromTemplate(TEMPLATES.PROPERTY_VALIDATION_MIN_LENGTH, prop, min),
  notUpdatable: (prop: string) => fromTemplate(TEMPLATES.PROPERTY_VALIDATION_NOT_UPDATABLE, prop),
  invalidObjectId: (id?: string) => fromTemplate(TEMPLATES.INVALID_OBJECT_ID, id),
  tokenNotFound: (id: string) => fromTemplate(TEMPLATES.APP_TOKEN_ID_NOT_FOUND, id),
  tokenNotActive: (id: string) => fromTemplate(TEMPLATES.APP_TOKEN_NOT_ACTIVE, id),
  tokenExpired: (id: string) => fromTemplate(TEMPLATES.APP_TOKEN_EXPIRED, id),
  invalidHash: () => fromTemplate(TEMPLATES.INVALID_APP_TOKEN_HASH),
  categoryNotFound: (id: string | number) => fromTemplate(TEMPLATES.CATEGORY_NOT_FOUND, id),
  categoryUserExists: () => fromTemplate(TEMPLATES.CATEGORY_USER_ALREADY_EXISTS),
  invalidUserId: () => fromTemplate(TEMPLATES.INVALID_USER_ID),
  roleNameExists: () => fromTemplate(TEMPLATES.ROLE_NAME_ALREADY_EXISTS),
  startSession: (pid: unknown) =>
    fromTemplate(TEMPLATES.START_SESSION_ERROR, pid === undefined ? undefined : String(pid)),
  invalidActionsLimit: () => fromTemplate(TEMPLATES.INVALID_ACTIONS_LIMIT),
  invalidSetRole: () => fromTemplate(TEMPLATES.INVALID_SET_ROLE),
  unknownRole: () => fromTemplate(TEMPLATES.UNKNOWN_ROLE_ID),
  duplicateUser: (id: string) => fromTemplate(TEMPLATES.DUPLICATE_USER_BY_ID, id),
  invalidWidget: (id: string) => fromTemplate(TEMPLATES.INVALID_WIDGET_ID, id),
  serviceForbidden: (service: string, action: string) =>
    fromTemplate(TEMPLATES.SERVICE_FORBIDDEN, `${service}->${action}`),
  partnerBlocked: () => fromTemplate(TEMPLATES.SERVICE_FORBIDDEN_CONTENT_BLOCKED),
  invalidField: (field: string) => fromTemplate(TEMPLATES.INVALID_FIELD_VALUE, field),
  userRoleNotFound: () => fromTemplate(TEMPLATES.USER_ROLE_NOT_FOUND),
  unknownFormat: (format: unknown) => fromTemplate(TEMPLATES.UNKNOWN_RESPONSE_FORMAT, String(format)),
};
