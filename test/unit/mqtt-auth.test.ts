import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Acl, builtinAclText } from '../../src/ingest/auth-acl.js';
import { CredentialStore } from '../../src/ingest/auth-passwords.js';
import { packagePath } from '../../src/paths.js';

// Written by mosquitto_passwd 2.0.11 (`mosquitto_passwd -c -b FILE dev1 secret`).
const MOSQUITTO_LINE = 'dev1:$7$101$kpC9dpLIRdd8DyoR$t3ttK09mqveS14Cdipz1l0zhQm46LNvhVV9gjwLKp7LsUU64PgzeDjqYCwBJFwADVDWjvsbnJGHaoJlLnhtwVg==';

describe('password file (Mosquitto format)', () => {
  it("verifies mosquitto_passwd's PBKDF2-SHA512 hashes; a wrong password or an unknown user is refused", async () => {
    const store = CredentialStore.parse(`# devices\n${MOSQUITTO_LINE}\n\n`, 'passwd');
    expect(store.usernames()).toEqual(['dev1']);
    expect(await store.verify('dev1', 'secret')).toBe(true);
    expect(await store.verify('dev1', Buffer.from('secret'))).toBe(true);
    expect(await store.verify('dev1', 'Secret')).toBe(false);
    expect(await store.verify('dev1', '')).toBe(false);
    expect(await store.verify('dev2', 'secret')).toBe(false);
  });

  it('reads the older $6$ (SHA-512 over password and salt) lines too', async () => {
    const salt = Buffer.from('0123456789ab');
    const hash = createHash('sha512').update('pw').update(salt).digest();
    const store = CredentialStore.parse(`old:$6$${salt.toString('base64')}$${hash.toString('base64')}\n`, 'passwd');
    expect(await store.verify('old', 'pw')).toBe(true);
    expect(await store.verify('old', 'pw2')).toBe(false);
  });

  it('writes lines in the same format, which it reads back', async () => {
    const text = new CredentialStore().add('acme-00042', 'pw-1').add('sealwatch', 'pw-2').toString();
    expect(text).toMatch(/^acme-00042:\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}\nsealwatch:\$7\$101\$/);
    const back = CredentialStore.parse(text, 'generated');
    expect(await back.verify('acme-00042', 'pw-1')).toBe(true);
    expect(await back.verify('sealwatch', 'pw-1')).toBe(false);
  });

  it('names the file, the line and what was expected for a malformed line', () => {
    expect(() => CredentialStore.parse('ok:$7$101$kpC9dpLIRdd8DyoR$abc\n', 'etc/passwd')).toThrow(/etc\/passwd line 1: user "ok": hash is 2 bytes, expected 64/);
    expect(() => CredentialStore.parse('\nplain:secret\n', 'etc/passwd')).toThrow(/etc\/passwd line 2: user "plain": the hash must start with \$7\$/);
    expect(() => CredentialStore.parse('no-colon\n', 'etc/passwd')).toThrow(/etc\/passwd line 1: expected username:\$7\$/);
  });
});

describe('ACL (Mosquitto format)', () => {
  const acl = Acl.parse(builtinAclText('ssd', ['sealwatch'], ['simulator']), 'built-in');

  it('lets a device publish only under its own id, in each wire format', () => {
    for (const t of ['ssd/json/acme-00042/door', 'ssd/json/acme-00042/gps', 'ssd/csv/acme-00042', 'ssd/batch/acme-00042']) expect(acl.canPublish('acme-00042', 'c1', t), t).toBe(true);
    for (const t of ['ssd/json/acme-00077/door', 'ssd/csv/acme-00077', 'ssd/batch/VSL-1', 'ssd/csv/acme-00042/extra', 'ssd/other', 'elsewhere/x', '$SYS/x']) expect(acl.canPublish('acme-00042', 'c1', t), t).toBe(false);
  });

  it('lets the service account subscribe to the whole root, and nobody to more', () => {
    expect(acl.canSubscribe('sealwatch', 'ingest', 'ssd/#')).toBe(true);
    expect(acl.canSubscribe('sealwatch', 'ingest', 'ssd/json/+/door')).toBe(true);
    expect(acl.canSubscribe('sealwatch', 'ingest', '#')).toBe(false);
    expect(acl.canSubscribe('sealwatch', 'ingest', '+/json/#')).toBe(false);
    expect(acl.canSubscribe('acme-00042', 'c1', 'ssd/#')).toBe(false);
    expect(acl.canSubscribe('acme-00042', 'c1', 'ssd/json/acme-00042/door')).toBe(false);
    expect(acl.canSubscribe('simulator', 'sim', 'ssd/#')).toBe(false);
    expect(acl.canPublish('simulator', 'sim', 'ssd/json/anyone/door')).toBe(true);
    expect(acl.canPublish('sealwatch', 'ingest', 'ssd/csv/anyone')).toBe(true);
  });

  it('never lets a name reach into other topic levels through %u', () => {
    // ssd/json/%u/# with %u = "acme-00042/door" would match ssd/json/acme-00042/door
    expect(acl.canPublish('acme-00042/door', 'c', 'ssd/json/acme-00042/door')).toBe(false);
    expect(acl.canPublish('+', 'c', 'ssd/csv/x')).toBe(false);
    expect(acl.canPublish(null, 'c', 'ssd/csv/x')).toBe(false);
  });

  it('gives anonymous clients the lines before the first user; deny wins; %c is the client id', () => {
    const custom = Acl.parse(['topic read public/#', 'user ops', 'topic readwrite ssd/#', 'topic deny ssd/secret/#', 'pattern write clients/%c/#'].join('\n'), 'acl');
    expect(custom.canSubscribe(null, 'a', 'public/news')).toBe(true);
    expect(custom.canPublish(null, 'a', 'public/news')).toBe(false);
    expect(custom.canSubscribe('ops', 'o', 'public/news')).toBe(false);
    expect(custom.canPublish('ops', 'o', 'ssd/json/x/door')).toBe(true);
    expect(custom.canPublish('ops', 'o', 'ssd/secret/x')).toBe(false);
    expect(custom.canSubscribe('ops', 'o', 'ssd/#')).toBe(false); // it overlaps the denied subtree
    expect(custom.canSubscribe('ops', 'o', 'ssd/json/#')).toBe(true);
    expect(custom.canPublish('ops', 'o', 'clients/o/x')).toBe(true);
    expect(custom.canPublish('ops', 'o', 'clients/p/x')).toBe(false);
  });

  it('refuses a malformed line with the file, the line and what was expected', () => {
    expect(() => Acl.parse('topic read ssd/#/x\n', 'acl')).toThrow(/acl line 1: "ssd\/#\/x": '#' must be the last level/);
    expect(() => Acl.parse('\n\ngrant all\n', 'acl')).toThrow(/acl line 3: "grant": expected topic, pattern or user/);
  });

  it("deploy/mosquitto/acl (Mosquitto's in Compose) is the built-in policy, so both brokers enforce the same", () => {
    expect(readFileSync(packagePath('deploy', 'mosquitto', 'acl'), 'utf8')).toBe(builtinAclText('ssd', ['sealwatch'], ['simulator']));
  });
});

describe('embedded broker configuration', () => {
  it('refuses a broker nobody could connect to, naming the key, the value and what is expected', async () => {
    const { brokerAuthFromConfig } = await import('../../src/ingest/embedded-broker.js');
    const { testConfig } = await import('../helpers/fixtures.js');
    expect(() => brokerAuthFromConfig(testConfig().embeddedBroker, 'ssd')).toThrow(/embeddedBroker\.passwordFile = null: expected a Mosquitto password file with at least one account .*embeddedBroker\.allowAnonymous is false/);
    expect(() => brokerAuthFromConfig(testConfig(['embeddedBroker.passwordFile=/nonexistent/passwd']).embeddedBroker, 'ssd')).toThrow(/MQTT password file \/nonexistent\/passwd: ENOENT/);
    const open = brokerAuthFromConfig(testConfig(['embeddedBroker.allowAnonymous=true']).embeddedBroker, 'ssd');
    expect(open.acl.canPublish(null, 'c', 'ssd/json/any/door')).toBe(true);
    expect(open.acl.canPublish(null, 'c', 'elsewhere/x')).toBe(false);
  });
});
