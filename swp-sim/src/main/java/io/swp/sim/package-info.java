/**
 * A deterministic network simulator for swp.
 *
 * <ul>
 *   <li>{@link io.swp.sim.Impairments} describes what a link does to frames (loss, bursty
 *       Gilbert-Elliott loss, latency and jitter, reordering, duplication, corruption, a
 *       bandwidth limit with a finite queue, black holes, a drop list), and
 *       {@link io.swp.sim.ImpairmentModel} applies it, seeded, so one seed reproduces one
 *       run exactly. The same model drives virtual time and real time.</li>
 *   <li>{@link io.swp.sim.SimNetwork} is a {@link io.swp.Network} in virtual time, and
 *       {@link io.swp.sim.SimTransfer} drives two protocol engines over it as fast as the
 *       CPU allows, jumping the clock to the next delivery or timer.</li>
 *   <li>{@link io.swp.sim.LossyNetwork} wraps any {@link io.swp.Network} and applies the
 *       same impairments in real time, so loss can be injected over NATS too.</li>
 * </ul>
 */
package io.swp.sim;
