// What sgwatch reads of the two responses it parses itself: the members
// normalize.ts (security groups) and model/attachment.ts (network interfaces)
// use, under the SDK's member names, so both paths feed the same code. XML
// names are the EC2 API's (the SDK's schema: SecurityGroup.GroupDescription
// is <groupDescription>, IpPermission.UserIdGroupPairs is <groups>, …).
// Everything else in a response (ARNs, peering status, MAC addresses, …) is
// skipped unread.
import { BOOLEAN, NUMBER, STRING, list, struct, type XmlShape } from "./xml-shape-reader.js";

/** A peer and its description, as IpRange, Ipv6Range and PrefixListId spell it. */
function described(xmlName: string, member: string): XmlShape {
  return struct({ [xmlName]: [member, STRING], description: ["Description", STRING] });
}

const IP_PERMISSION = struct({
  ipProtocol: ["IpProtocol", STRING],
  fromPort: ["FromPort", NUMBER],
  toPort: ["ToPort", NUMBER],
  groups: [
    "UserIdGroupPairs",
    list(
      struct({
        description: ["Description", STRING],
        userId: ["UserId", STRING],
        groupId: ["GroupId", STRING],
        vpcPeeringConnectionId: ["VpcPeeringConnectionId", STRING],
      }),
    ),
  ],
  ipRanges: ["IpRanges", list(described("cidrIp", "CidrIp"))],
  ipv6Ranges: ["Ipv6Ranges", list(described("cidrIpv6", "CidrIpv6"))],
  prefixListIds: ["PrefixListIds", list(described("prefixListId", "PrefixListId"))],
});

const SECURITY_GROUP = struct({
  ownerId: ["OwnerId", STRING],
  groupId: ["GroupId", STRING],
  groupName: ["GroupName", STRING],
  groupDescription: ["Description", STRING],
  vpcId: ["VpcId", STRING],
  ipPermissions: ["IpPermissions", list(IP_PERMISSION)],
  ipPermissionsEgress: ["IpPermissionsEgress", list(IP_PERMISSION)],
  tagSet: ["Tags", list(struct({ key: ["Key", STRING], value: ["Value", STRING] }))],
});

const PUBLIC_IP = struct({ publicIp: ["PublicIp", STRING] });

const NETWORK_INTERFACE = struct({
  networkInterfaceId: ["NetworkInterfaceId", STRING],
  interfaceType: ["InterfaceType", STRING],
  requesterId: ["RequesterId", STRING],
  description: ["Description", STRING],
  attachment: ["Attachment", struct({ instanceId: ["InstanceId", STRING] })],
  association: ["Association", PUBLIC_IP],
  privateIpAddressesSet: ["PrivateIpAddresses", list(struct({ association: ["Association", PUBLIC_IP] }))],
  ipv6Address: ["Ipv6Address", STRING],
  ipv6AddressesSet: ["Ipv6Addresses", list(struct({ ipv6Address: ["Ipv6Address", STRING] }))],
  denyAllIgwTraffic: ["DenyAllIgwTraffic", BOOLEAN],
  groupSet: ["Groups", list(struct({ groupId: ["GroupId", STRING] }))],
});

/** A response this reader knows: its root element and the shape of the root's content. */
export interface ResponseShape {
  /** The document's root element. */
  root: string;
  shape: XmlShape & { kind: "struct" };
  /** The root's member holding the page's items. */
  items: string;
}

function response(root: string, items: string, itemXml: string, item: XmlShape): ResponseShape {
  return { root, items, shape: struct({ [itemXml]: [items, list(item)], nextToken: ["NextToken", STRING] }) as XmlShape & { kind: "struct" } };
}

export const DESCRIBE_SECURITY_GROUPS = response("DescribeSecurityGroupsResponse", "SecurityGroups", "securityGroupInfo", SECURITY_GROUP);
export const DESCRIBE_NETWORK_INTERFACES = response("DescribeNetworkInterfacesResponse", "NetworkInterfaces", "networkInterfaceSet", NETWORK_INTERFACE);
