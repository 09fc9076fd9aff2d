package io.swp.file;

import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The record a receiver keeps next to a partial file ({@code .swp-KEY.resume}): which
 * file it is, how many of its bytes are durable, and what proves them. Plain text, one
 * {@code key=value} per line, ending with a BLAKE2b-256 of everything before it, so a torn
 * or altered record is recognised and ignored (docs/files.md shows one).
 *
 * @param name the file's name
 * @param identity the sender's identity of that version of the file
 * @param mode the sender's permission bits, or -1
 * @param from the sender's inbox
 * @param durable bytes of the data file that were fsynced before this record was written
 * @param prefixHash BLAKE2b-256 of those {@code durable} bytes
 * @param stateImpl label of the implementation that exported {@code state}, or empty
 * @param state the digest's exported state after {@code durable} bytes, or empty
 * @param fileKey the data file's identity on disk (device and inode), to notice a swapped file
 * @param createdMillis when the partial was started
 * @param updatedMillis when this record was written
 * @param verifiedHash the whole file's verified BLAKE2b-256 once it verified (it is then
 *     being, or has been, stored under its name), else null
 */
record PartialMeta(String name, FileIdentity identity, int mode, String from, long durable, byte[] prefixHash,
                   String stateImpl, byte[] state, String fileKey, long createdMillis, long updatedMillis,
                   byte[] verifiedHash) {

    /** Largest record read back: far more than any valid one needs. */
    static final int MAX_BYTES = 16 * 1024;
    private static final String MAGIC = "swp-partial 1";
    private static final HexFormat HEX = HexFormat.of();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    /** A record that is not valid. */
    static final class InvalidException extends IOException {
        private static final long serialVersionUID = 1L;

        InvalidException(String message) {
            super(message);
        }
    }

    PartialMeta withProgress(long durableBytes, byte[] prefix, String impl, byte[] exported, long now) {
        return new PartialMeta(name, identity, mode, from, durableBytes, prefix, impl, exported, fileKey,
                createdMillis, now, null);
    }

    PartialMeta verified(byte[] hash, long now) {
        return new PartialMeta(name, identity, mode, from, identity.size(), hash, "", new byte[0], fileKey,
                createdMillis, now, hash);
    }

    boolean isVerified() {
        return verifiedHash != null;
    }

    byte[] encode() {
        StringBuilder sb = new StringBuilder();
        sb.append(MAGIC).append('\n');
        line(sb, "name", B64.encodeToString(name.getBytes(StandardCharsets.UTF_8)));
        line(sb, "size", Long.toString(identity.size()));
        line(sb, "mtime", Long.toString(identity.modifiedMillis()));
        line(sb, "first", HEX.formatHex(identity.firstChunkHash()));
        line(sb, "mode", Integer.toString(mode));
        line(sb, "from", B64.encodeToString(from.getBytes(StandardCharsets.UTF_8)));
        line(sb, "durable", Long.toString(durable));
        line(sb, "prefix", HEX.formatHex(prefixHash));
        line(sb, "state", stateImpl.isEmpty() ? "" : stateImpl + ":" + B64.encodeToString(state));
        line(sb, "file", B64.encodeToString(fileKey.getBytes(StandardCharsets.UTF_8)));
        line(sb, "created", Long.toString(createdMillis));
        line(sb, "updated", Long.toString(updatedMillis));
        line(sb, "verified", verifiedHash == null ? "" : HEX.formatHex(verifiedHash));
        byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
        String check = "check=" + HEX.formatHex(checksum(body, body.length)) + "\n";
        byte[] tail = check.getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[body.length + tail.length];
        System.arraycopy(body, 0, all, 0, body.length);
        System.arraycopy(tail, 0, all, body.length, tail.length);
        return all;
    }

    static PartialMeta decode(byte[] bytes) throws InvalidException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int checkAt = text.lastIndexOf("check=");
        if (!text.startsWith(MAGIC + "\n") || checkAt < 0 || !text.endsWith("\n")) {
            throw new InvalidException("not a partial record");
        }
        byte[] body = text.substring(0, checkAt).getBytes(StandardCharsets.UTF_8);
        String check = text.substring(checkAt + "check=".length(), text.length() - 1);
        try {
            if (!MessageDigest.isEqual(HEX.parseHex(check), checksum(body, body.length))) {
                throw new InvalidException("its checksum does not match (torn or altered)");
            }
            Map<String, String> f = new HashMap<>();
            for (String line : text.substring(MAGIC.length() + 1, checkAt).split("\n")) {
                int eq = line.indexOf('=');
                if (eq <= 0) {
                    throw new InvalidException("malformed line");
                }
                f.put(line.substring(0, eq), line.substring(eq + 1));
            }
            String name = new String(B64D.decode(req(f, "name")), StandardCharsets.UTF_8);
            long size = Long.parseLong(req(f, "size"));
            FileIdentity id = new FileIdentity(size, Long.parseLong(req(f, "mtime")), hash(req(f, "first")));
            long durable = Long.parseLong(req(f, "durable"));
            if (size < 0 || durable < 0 || durable > size) {
                throw new InvalidException("durable " + durable + " outside 0.." + size);
            }
            String state = req(f, "state");
            String impl = "";
            byte[] exported = new byte[0];
            if (!state.isEmpty()) {
                int colon = state.indexOf(':');
                if (colon <= 0) {
                    throw new InvalidException("malformed state");
                }
                impl = state.substring(0, colon);
                exported = B64D.decode(state.substring(colon + 1));
            }
            String verified = req(f, "verified");
            return new PartialMeta(name, id, Integer.parseInt(req(f, "mode")),
                    new String(B64D.decode(req(f, "from")), StandardCharsets.UTF_8), durable, hash(req(f, "prefix")),
                    impl, exported, new String(B64D.decode(req(f, "file")), StandardCharsets.UTF_8),
                    Long.parseLong(req(f, "created")), Long.parseLong(req(f, "updated")),
                    verified.isEmpty() ? null : hash(verified));
        } catch (IllegalArgumentException e) { // NumberFormatException, bad hex or base64
            throw new InvalidException("malformed: " + e.getMessage());
        }
    }

    private static String req(Map<String, String> f, String key) throws InvalidException {
        String v = f.get(key);
        if (v == null) {
            throw new InvalidException("no " + key);
        }
        return v;
    }

    private static byte[] hash(String hex) throws InvalidException {
        byte[] h = HEX.parseHex(hex);
        if (h.length != Blake2b256.DIGEST_BYTES) {
            throw new InvalidException("digest of " + h.length + " bytes");
        }
        return h;
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(key).append('=').append(value).append('\n');
    }

    private static byte[] checksum(byte[] b, int len) {
        Blake2b256 d = Blake2b.newBlake2b256();
        d.update(b, 0, len);
        return d.digest();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PartialMeta m && java.util.Arrays.equals(encode(), m.encode());
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "PartialMeta[" + name + ", durable " + durable + " of " + identity.size()
                + (isVerified() ? ", verified" : "") + "]";
    }
}
