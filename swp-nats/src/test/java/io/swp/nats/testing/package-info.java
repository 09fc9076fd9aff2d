/**
 * A real NATS server for tests, usable from any module's tests through swp-nats'
 * test-jar ({@code <type>test-jar</type>}, scope test).
 *
 * <p>{@link io.swp.nats.testing.NatsServers#start()} finds a server in this order:
 * the {@code NATS_URL} environment variable; a {@code nats-server} binary (PATH,
 * {@code /usr/sbin}, {@code /usr/local/bin}, or {@code NATS_SERVER_BIN}) started on a free
 * port; a Testcontainers {@code nats} container when a Docker engine answers; otherwise
 * the test is skipped with a message naming what is missing, or fails if
 * {@code SWP_REQUIRE_NATS=1}. {@link io.swp.nats.testing.NatsServerExtension} does the
 * same per test class and injects the {@link io.swp.nats.testing.NatsTestServer}.
 * {@link io.swp.nats.testing.NatsServers#startCluster(int)} starts a cluster of local
 * binaries whose nodes can be stopped, killed and restarted.
 */
package io.swp.nats.testing;
