import { describe, expect, it } from "vitest";
import { parseFilters, parseIpPermissions, parseLegacyPermission, parseTagSpecifications, QueryParams } from "../../../src/sim/query-params.js";
import { SimError } from "../../../src/sim/errors.js";

describe("QueryParams", () => {
  it("reads flattened lists in index order, including index 10 after 9", () => {
    const body = Array.from({ length: 11 }, (_, i) => `GroupId.${i + 1}=sg-${i}`).reverse().join("&");
    expect(QueryParams.parse(body).list("GroupId")).toEqual(Array.from({ length: 11 }, (_, i) => `sg-${i}`));
  });

  it("parses IpPermissions.N.* with every peer kind, as the SDK serializes them", () => {
    const body = new URLSearchParams({
      "IpPermissions.1.IpProtocol": "tcp",
      "IpPermissions.1.FromPort": "22",
      "IpPermissions.1.ToPort": "22",
      "IpPermissions.1.Groups.1.UserId": "111",
      "IpPermissions.1.Groups.1.GroupId": "sg-2",
      "IpPermissions.1.Groups.1.VpcPeeringConnectionId": "pcx-1",
      "IpPermissions.1.IpRanges.1.Description": "d & <x>",
      "IpPermissions.1.IpRanges.1.CidrIp": "1.2.3.4/32",
      "IpPermissions.1.Ipv6Ranges.1.CidrIpv6": "::/0",
      "IpPermissions.1.PrefixListIds.1.PrefixListId": "pl-1",
      "IpPermissions.2.IpProtocol": "-1",
      "IpPermissions.2.IpRanges.1.CidrIp": "0.0.0.0/0",
    }).toString();
    expect(parseIpPermissions(QueryParams.parse(body))).toEqual([
      {
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        ipRanges: [{ cidrIp: "1.2.3.4/32", description: "d & <x>" }],
        ipv6Ranges: [{ cidrIpv6: "::/0" }],
        prefixListIds: [{ prefixListId: "pl-1" }],
        userIdGroupPairs: [{ groupId: "sg-2", userId: "111", vpcPeeringConnectionId: "pcx-1" }],
      },
      { ipProtocol: "-1", ipRanges: [{ cidrIp: "0.0.0.0/0" }] },
    ]);
  });

  it("parses filters, tag specifications and the legacy single-rule form", () => {
    const p = QueryParams.parse(
      "Filter.1.Name=vpc-id&Filter.1.Value.1=v1&Filter.1.Value.2=v2&TagSpecification.1.ResourceType=security-group&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v&IpProtocol=tcp&FromPort=80&ToPort=80&CidrIp=0.0.0.0/0",
    );
    expect(parseFilters(p)).toEqual([{ name: "vpc-id", values: ["v1", "v2"] }]);
    expect(parseTagSpecifications(p, "security-group")).toEqual([{ key: "k", value: "v" }]);
    expect(parseLegacyPermission(p)).toEqual({ ipProtocol: "tcp", fromPort: 80, toPort: 80, ipRanges: [{ cidrIp: "0.0.0.0/0" }] });
  });

  it("rejects non-integers and missing required values with EC2 codes", () => {
    const p = QueryParams.parse("MaxResults=ten&IpPermissions.1.FromPort=1");
    expect(() => p.int("MaxResults")).toThrow(SimError);
    expect(() => parseIpPermissions(p)).toThrow(/IpProtocol/);
  });
});
