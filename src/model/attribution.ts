// Who made a call and from where, as CloudTrail records it: the shape that
// attribution, the trail sensor and the history timeline all store and show.
// It lives here, below them all, so store/ can name it without importing a
// room above it.

/** Who made a call and from where: what sgwatch stores and shows. */
export interface Attribution {
  /** CloudTrail eventID. */
  eventId: string;
  /** API call, e.g. AuthorizeSecurityGroupIngress. */
  eventName: string;
  /** When the call was made, ISO-8601 UTC. */
  eventTime: string;
  /** userIdentity.arn (an IAM user, an assumed-role session, root, …). */
  actorArn: string | null;
  /** userIdentity.type: IAMUser, AssumedRole, Root, FederatedUser, AWSService, … */
  actorType: string | null;
  /** A short name: the IAM user name, the role session name, or the LookupEvents Username. */
  actorName: string | null;
  /** The access key the call was signed with. */
  accessKeyId: string | null;
  /** sourceIPAddress (an address, or a service name for calls made by AWS services). */
  sourceIp: string | null;
  /** userAgent. */
  userAgent: string | null;
}
