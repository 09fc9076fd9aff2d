package io.swp.nats.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

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
public final class NatsServerExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NatsServerExtension.class);
    private static final String KEY = "server";

    /** Instantiated by JUnit. */
    public NatsServerExtension() {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context);
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
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        // The store closes the server (an AutoCloseable) when the class context ends.
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(KEY, k -> NatsServers.start(), NatsTestServer.class);
    }
}
