package io.swp.nats.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;

/**
 * Gives a test class one NATS server ({@link NatsServers#start()}), started before its
 * first test and stopped after its last; tests and lifecycle methods receive it as a
 * {@link NatsTestServer} parameter. Without a server the class is skipped, or fails when
 * {@code SWP_REQUIRE_NATS=1}.
 *
 * <pre>{@code
 * @ExtendWith(NatsServerExtension.class)
 * class MyTest {
 *     @Test void roundTrip(NatsTestServer server) throws IOException {
 *         try (NatsNetwork net = NatsNetwork.connect(server.url())) { ... }
 *     }
 * }
 * }</pre>
 */
public final class NatsServerExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NatsServerExtension.class);
    private static final String KEY = "server";
    private static final String UNAVAILABLE = "unavailable";

    /** Instantiated by JUnit. */
    public NatsServerExtension() {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        try {
            server(context);
        } catch (TestAbortedException e) {
            // Skip each test with the reason, so reports list them as skipped rather than
            // silently running none (a required server fails here instead: AssertionError).
            context.getStore(NAMESPACE).put(UNAVAILABLE, e);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        TestAbortedException unavailable = classContext(context).getStore(NAMESPACE).get(UNAVAILABLE,
                TestAbortedException.class);
        if (unavailable != null) {
            throw unavailable;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == NatsTestServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        return server(extensionContext);
    }

    private static NatsTestServer server(ExtensionContext context) {
        // The store closes the server (an AutoCloseable) when the class context ends.
        return classContext(context).getStore(NAMESPACE).getOrComputeIfAbsent(KEY, k -> NatsServers.start(),
                NatsTestServer.class);
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext;
    }
}
