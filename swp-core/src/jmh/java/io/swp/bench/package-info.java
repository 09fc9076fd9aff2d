/** JMH micro-benchmarks of the protocol core; run with the {@code jmh} Maven profile. */
package io.swp.bench;
