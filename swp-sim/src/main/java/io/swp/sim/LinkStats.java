package io.swp.sim;

/**
 * What one direction of a simulated or impaired link did to the frames offered to it.
 *
 * @param offered frames offered to the link
 * @param delivered copies handed on for delivery (duplicates included)
 * @param droppedByIndex frames killed by the drop list
 * @param droppedByBlackHole frames swallowed by a black hole
 * @param droppedRandom frames lost by independent random loss
 * @param droppedBurst frames lost by Gilbert-Elliott bursty loss
 * @param droppedQueueFull frames tail-dropped by the bandwidth queue
 * @param duplicated extra copies made
 * @param corrupted copies delivered with flipped bits
 * @param reordered frames held back so that later frames could overtake them
 * @param bytesOffered bytes of all offered frames
 */
public record LinkStats(
        long offered,
        long delivered,
        long droppedByIndex,
        long droppedByBlackHole,
        long droppedRandom,
        long droppedBurst,
        long droppedQueueFull,
        long duplicated,
        long corrupted,
        long reordered,
        long bytesOffered) {

    /** @return frames dropped for any reason */
    public long dropped() {
        return droppedByIndex + droppedByBlackHole + droppedRandom + droppedBurst + droppedQueueFull;
    }
}
