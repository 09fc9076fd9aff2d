/**
 * Small programs that show the swp API: {@link io.swp.examples.QuickStart} (the README's
 * quick start), an echo server and client over streams, and a chat over messages. The
 * {@code swp} command itself is in {@link io.swp.examples.cli}.
 */
package io.swp.examples;
