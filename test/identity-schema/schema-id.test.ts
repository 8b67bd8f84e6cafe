import { describe, expect, it } from "vitest";
import {
  decodeSchemaId,
  encodeSchemaId,
  IdentitySchemaRegistry,
  schemaUrl,
} from "../../src/identity-schema/index.ts";

const schema = {
  properties: { traits: { type: "object", properties: { email: { type: "string" } } } },
};

describe("schema ids in URLs", () => {
  it("encodes default as ZGVmYXVsdA", () => {
    expect(encodeSchemaId("default")).toBe("ZGVmYXVsdA");
  });

  it("builds schema_url under /schemas", () => {
    expect(schemaUrl("https://auth.example.com", "default")).toBe(
      "https://auth.example.com/schemas/ZGVmYXVsdA",
    );
    expect(schemaUrl("https://auth.example.com/kratos/", "default")).toBe(
      "https://auth.example.com/kratos/schemas/ZGVmYXVsdA",
    );
    expect(schemaUrl(new URL("http://127.0.0.1:4433/"), "default")).toBe(
      "http://127.0.0.1:4433/schemas/ZGVmYXVsdA",
    );
  });

  it("uses url-safe alphabet without padding", () => {
    const encoded = encodeSchemaId("customer?>~");

    expect(encoded).toBe("Y3VzdG9tZXI_Pn4");
    expect(encoded).not.toMatch(/[+/=]/);
    expect(decodeSchemaId(encoded)).toBe("customer?>~");
  });

  it("decodes encoded ids", () => {
    expect(decodeSchemaId("ZGVmYXVsdA")).toBe("default");
    expect(decodeSchemaId(encodeSchemaId("préférences"))).toBe("préférences");
  });

  it("returns raw ids unchanged", () => {
    expect(decodeSchemaId("default")).toBe("default");
    expect(decodeSchemaId("customer.v2")).toBe("customer.v2");
    expect(decodeSchemaId("")).toBe("");
  });

  it("resolves raw and encoded ids", () => {
    const registry = IdentitySchemaRegistry.fromDocuments(
      [
        { id: "default", schema },
        { id: "customer", schema },
      ],
      "default",
    );

    expect(registry.resolveSchemaId("default")).toBe("default");
    expect(registry.resolveSchemaId("ZGVmYXVsdA")).toBe("default");
    expect(registry.resolveSchemaId(encodeSchemaId("customer"))).toBe("customer");
    expect(registry.resolveSchemaId("unknown")).toBeUndefined();
    expect(registry.resolveSchemaId(encodeSchemaId("unknown"))).toBeUndefined();
  });

  it("prefers a raw id that is also an encoding", () => {
    // "ZGVmYXVsdA" decodes to "default", but here it is itself a registered id.
    const registry = IdentitySchemaRegistry.fromDocuments(
      [
        { id: "ZGVmYXVsdA", schema },
        { id: "default", schema },
      ],
      "default",
    );

    expect(registry.resolveSchemaId("ZGVmYXVsdA")).toBe("ZGVmYXVsdA");
  });
});
