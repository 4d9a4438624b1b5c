// Who is calling, from the SigV4 Authorization header. The simulator does not
// verify signatures (it has no secrets); it reads the access key id and the
// region from the credential scope, which is all that routing needs.

/** The parts of a SigV4 credential scope the simulator uses. */
export interface CredentialScope {
  accessKeyId: string;
  /** Scope date, yyyymmdd. */
  date: string;
  region: string;
  service: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20261128/us-east-1/ec2/aws4_request, …`; undefined when absent or malformed. */
export function parseAuthorization(header: string | undefined): CredentialScope | undefined {
  if (header === undefined) return undefined;
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/.exec(header.trim());
  if (m === null) return undefined;
  const [, accessKeyId, date, region, service] = m as unknown as [string, string, string, string, string];
  return { accessKeyId, date, region, service };
}
