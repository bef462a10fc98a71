/**
 * API objects as the server builds them: a type name and its public properties in declaration order,
 * the base class's first (`relatedObjects` from KalturaObject), unset ones null. The serializers drop
 * nulls from JSON and write them as empty tags in XML; multirequest references read the properties.
 * Property lists are copied from api_v3/lib/types (KalturaAppToken.php, KalturaSessionInfo.php, ...).
 */

/** The properties of each type the emulator returns or reads, in the server's order. */
export const TYPES: Readonly<Record<string, readonly string[]>> = {
  KalturaAppToken: [
    'id',
    'token',
    'partnerId',
    'createdAt',
    'updatedAt',
    'status',
    'expiry',
    'sessionType',
    'sessionUserId',
    'sessionDuration',
    'sessionPrivileges',
    'hashType',
    'description',
  ],
  KalturaSessionInfo: ['ks', 'sessionType', 'partnerId', 'userId', 'expiry', 'privileges'],
  KalturaStartWidgetSessionResponse: ['partnerId', 'ks', 'userId'],
  // KalturaListResponse declares totalCount, the subclass objects.
  KalturaAppTokenListResponse: ['totalCount', 'objects'],
  KalturaUserRoleListResponse: ['totalCount', 'objects'],
  KalturaUserRole: [
    'id',
    'name',
    'systemName',
    'description',
    'status',
    'partnerId',
    'permissionNames',
    'tags',
    'createdAt',
    'updatedAt',
  ],
  // KalturaBaseUser, then KalturaUser.
  KalturaUser: [
    'id',
    'partnerId',
    'screenName',
    'fullName',
    'email',
    'country',
    'state',
    'city',
    'zip',
    'thumbnailUrl',
    'description',
    'tags',
    'adminTags',
    'status',
    'createdAt',
    'updatedAt',
    'partnerData',
    'indexedPartnerDataInt',
    'indexedPartnerDataString',
    'storageSize',
    'language',
    'lastLoginTime',
    'statusUpdatedAt',
    'deletedAt',
    'allowedPartnerIds',
    'allowedPartnerPackages',
    'userMode',
    'capabilities',
    'type',
    'dateOfBirth',
    'gender',
    'isAdmin',
    'isGuest',
    'roleIds',
    'roleNames',
    'isAccountOwner',
    'password',
    'firstName',
    'lastName',
    'loginEnabled',
    'registrationInfo',
    'attendanceInfo',
    'title',
    'company',
    'ksPrivileges',
    'encryptedSeed',
    'isSsoExcluded',
    'externalId',
  ],
  KalturaCategory: [
    'id',
    'parentId',
    'depth',
    'partnerId',
    'name',
    'fullName',
    'fullIds',
    'entriesCount',
    'createdAt',
    'updatedAt',
    'description',
    'tags',
    'appearInList',
    'privacy',
    'inheritanceType',
    'userJoinPolicy',
    'defaultPermissionLevel',
    'owner',
    'directEntriesCount',
    'referenceId',
    'contributionPolicy',
    'membersCount',
    'pendingMembersCount',
    'privacyContext',
    'privacyContexts',
    'status',
    'inheritedParentId',
    'partnerSortValue',
    'partnerData',
    'defaultOrderBy',
    'directSubCategoriesCount',
    'moderation',
    'pendingEntriesCount',
    'isAggregationCategory',
    'aggregationCategories',
    'adminTags',
  ],
  KalturaCategoryUser: [
    'categoryId',
    'userId',
    'partnerId',
    'permissionLevel',
    'status',
    'createdAt',
    'updatedAt',
    'updateMethod',
    'categoryFullIds',
    'permissionNames',
  ],
};

/** An API object: its type and every declared property, null when unset. */
export class KalturaObject {
  readonly objectType: string;
  readonly props: Readonly<Record<string, unknown>>;

  constructor(objectType: string, props: Record<string, unknown>) {
    this.objectType = objectType;
    this.props = props;
  }
}

/** An API object of `type` from `values`; properties the type does not declare are ignored. */
export function kalturaObject(type: string, values: object): KalturaObject {
  const names = TYPES[type];
  if (!names) throw new Error(`unknown Kaltura type ${type}`);
  const source = values as Record<string, unknown>;
  const props: Record<string, unknown> = { relatedObjects: null };
  for (const name of names) props[name] = source[name] ?? null;
  return new KalturaObject(type, props);
}
