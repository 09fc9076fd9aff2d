package io.swp.hash;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates {@link Blake2b256} digests. Both implementations give the same bytes; libsodium
 * (native) ran 2.5 times as fast as Bouncy Castle (Java) on the project machine
 * (BENCHMARKS.md).
 *
 * <p>The system property {@value #PROPERTY} chooses for {@link #newBlake2b256()}:
 * <ul>
 *   <li>unset, empty or {@code auto}: libsodium where it loads, otherwise Bouncy Castle,
 *       with one warning in the log saying why;</li>
 *   <li>{@code java} (or {@code bouncycastle}): Bouncy Castle, e.g. for comparisons;</li>
 *   <li>{@code native} (or {@code libsodium}): libsodium, and an
 *       {@link IllegalStateException} where it cannot load.</li>
 * </ul>
 * Nothing needs installing: the library comes inside lazysodium-java's jar. It is loaded
 * once, the first time it is asked for.
 */
public final class Blake2b {
    /** The system property that chooses the implementation. */
    public static final String PROPERTY = "swp.blake2b";

    /**
     * The system property that fixes which libsodium code hashes: {@code auto} (the default:
     * the faster one, measured at load), {@code simd} or {@code portable}.
     */
    public static final String CODE_PROPERTY = Libsodium.CODE_PROPERTY;

    private static final Logger LOG = LoggerFactory.getLogger(Blake2b.class);
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();
    private static final AtomicBoolean BAD_PROPERTY_LOGGED = new AtomicBoolean();
    private static final AtomicBoolean FORCED_JAVA_LOGGED = new AtomicBoolean();

    /** The implementations, with the names reports use. */
    public enum Implementation {
        /** libsodium, native, through JNA. */
        LIBSODIUM("libsodium"),
        /** Bouncy Castle's {@code Blake2bDigest}, pure Java. */
        BOUNCY_CASTLE("bouncycastle");

        private final String label;

        Implementation(String label) {
            this.label = label;
        }

        /** @return the short name for reports and logs: {@code libsodium} or {@code bouncycastle} */
        public String label() {
            return label;
        }

        /**
         * @param label a {@link #label()}
         * @return the implementation with that label, or empty
         */
        public static Optional<Implementation> ofLabel(String label) {
            for (Implementation i : values()) {
                if (i.label.equals(label)) {
                    return Optional.of(i);
                }
            }
            return Optional.empty();
        }
    }

    private Blake2b() {
    }

    /**
     * @return a new BLAKE2b-256 digest from the implementation {@link #selected()} names
     * @throws IllegalStateException if {@value #PROPERTY} is {@code native} and libsodium
     *     cannot load here
     */
    public static Blake2b256 newBlake2b256() {
        return newBlake2b256(selected());
    }

    /**
     * @param implementation which one
     * @return a new BLAKE2b-256 digest computed by {@code implementation}
     * @throws IllegalStateException if that is libsodium and it cannot load here
     */
    public static Blake2b256 newBlake2b256(Implementation implementation) {
        switch (implementation) {
            case LIBSODIUM:
                String failure = NativeLoad.FAILURE;
                if (failure != null) {
                    throw new IllegalStateException("libsodium is unavailable: " + failure);
                }
                return new LibsodiumBlake2b256();
            case BOUNCY_CASTLE:
                return new BouncyCastleBlake2b256();
            default:
                throw new IllegalArgumentException(String.valueOf(implementation));
        }
    }

    /**
     * Continues a digest from a state {@link Blake2b256#exportState()} gave, in this process
     * or a later one on the same platform. The state is checked before use: its size, that
     * it is unfinished and unkeyed, and that it has absorbed exactly {@code messageBytes}
     * bytes; a state that fails (corrupt, from another library version or platform) is
     * refused, never handed to native code. The caller should still compare the imported
     * digest with a digest of the prefix kept apart from the state (finish a
     * {@link Blake2b256#copy()}), which catches any state the checks let through.
     *
     * @param implementation the implementation that exported it
     * @param state the exported bytes
     * @param messageBytes how many message bytes the state has absorbed
     * @return the digest, or empty if this state cannot be continued here
     */
    public static Optional<Blake2b256> importState(Implementation implementation, byte[] state, long messageBytes) {
        if (implementation != Implementation.LIBSODIUM || NativeLoad.FAILURE != null) {
            return Optional.empty();
        }
        if (!Libsodium.plausibleState(state, messageBytes)) {
            return Optional.empty();
        }
        return Optional.of(new LibsodiumBlake2b256(state.clone()));
    }

    /**
     * Which implementation {@link #newBlake2b256()} uses now, following {@value #PROPERTY}
     * (read on every call). Loads libsodium the first time it is needed.
     *
     * @return the implementation
     * @throws IllegalStateException if {@value #PROPERTY} is {@code native} and libsodium
     *     cannot load here
     */
    public static Implementation selected() {
        String wanted = System.getProperty(PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "java":
            case "bouncycastle":
                if (FORCED_JAVA_LOGGED.compareAndSet(false, true)) {
                    LOG.debug("BLAKE2b-256 in Java (Bouncy Castle), as -D{}={} asks", PROPERTY, wanted);
                }
                return Implementation.BOUNCY_CASTLE;
            case "native":
            case "libsodium":
                if (NativeLoad.FAILURE != null) {
                    throw new IllegalStateException("-D" + PROPERTY + "=" + wanted + " but libsodium is unavailable: "
                            + NativeLoad.FAILURE);
                }
                return Implementation.LIBSODIUM;
            case "":
            case "auto":
                break;
            default:
                if (BAD_PROPERTY_LOGGED.compareAndSet(false, true)) {
                    LOG.warn("ignoring -D{}={}: expected auto, native or java", PROPERTY, wanted);
                }
        }
        if (NativeLoad.FAILURE == null) {
            return Implementation.LIBSODIUM;
        }
        if (FALLBACK_LOGGED.compareAndSet(false, true)) {
            LOG.warn("native BLAKE2b-256 unavailable, using Bouncy Castle (pure Java, slower): {}",
                    NativeLoad.FAILURE);
        }
        return Implementation.BOUNCY_CASTLE;
    }

    /**
     * @return why libsodium cannot be used here, or empty if it loaded (loads it if that
     *     was not tried yet)
     */
    public static Optional<String> nativeUnavailableReason() {
        return Optional.ofNullable(NativeLoad.FAILURE);
    }

    /**
     * Which of libsodium's compression functions runs, and why: measured once at load
     * (libsodium's SIMD code is faster on some CPUs, its portable code on others), unless
     * the system property {@value #CODE_PROPERTY} says {@code simd} or {@code portable}.
     *
     * @return e.g. {@code "SIMD (870 MB/s against 710 portable)"}: the first word is
     *     {@code SIMD}, {@code portable}, or {@code unknown} where a shared system libsodium
     *     was initialised by other code first; empty if libsodium cannot load here (loads it
     *     if that was not tried yet)
     */
    public static Optional<String> nativeCode() {
        return NativeLoad.FAILURE == null ? Optional.of(Libsodium.CODE) : Optional.empty();
    }

    /** Loads libsodium when first touched: once per class loader, thread-safe by class initialisation. */
    private static final class NativeLoad {
        /** Why libsodium is unusable, or null if it loaded and passed its self-test. */
        static final String FAILURE = load();

        private static String load() {
            try {
                Class.forName(Libsodium.class.getName(), true, Blake2b.class.getClassLoader());
                LOG.debug("BLAKE2b-256 by libsodium: {}, {} code", Libsodium.ORIGIN, Libsodium.CODE);
                return null;
            } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
                LOG.debug("libsodium did not load", cause);
                return cause.toString();
            }
        }
    }
}
