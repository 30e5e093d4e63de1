using Backprop.Backends;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The fused attention kernels on numbers worked out by hand: one query, two keys with scores 0 and ln 2, so the weights
/// are 1/3 and 2/3; causal rows; the gradients from the softmax rule written out.
/// </summary>
public class AttentionKernelTests
{
    [Fact]
    public void ForwardAndBackwardOnHandComputedNumbers()
    {
        double ln2 = Math.Log(2);
        double[] q = [1], k = [0, ln2], v = [3, 6], output = new double[1], lse = new double[1];
        var d = new AttentionDims(1, 1, 2, 1, 1, 1.0, false);
        AttentionKernels.Forward<double>(q, k, v, default, d, output, lse, new double[2], 0, 1);
        Assert.Equal(5, output[0], 12);            // 3/3 + 2·6/3
        Assert.Equal(Math.Log(3), lse[0], 12);     // log(e⁰ + e^ln2)
        // dO = 1: dV = p = (1/3, 2/3); dP = v = (3, 6); dS = p ⊙ (dP − O) = (1/3·(−2), 2/3·1) = (−2/3, 2/3);
        // dQ = Σ dSⱼ·kⱼ = 2/3·ln 2; dK = dS·q = (−2/3, 2/3)
        double[] gq = new double[1], gk = new double[2], gv = new double[2];
        AttentionKernels.Backward<double>(q, k, v, default, d, output, lse, [1.0], gq, gk, gv, 0, 1);
        Assert.Equal(2.0 / 3 * ln2, gq[0], 12);
        Reference.AssertClose([-2.0 / 3, 2.0 / 3], gk, 1e-12, 0, "dK");
        Reference.AssertClose([1.0 / 3, 2.0 / 3], gv, 1e-12, 0, "dV");
    }

    [Fact]
    public void CausalRowsSeeOnlyEarlierKeys()
    {
        // two queries, two keys, all scores 0: row 0 sees key 0 only, row 1 averages both
        double[] q = [0, 0], k = [1, 1], v = [2, 4], output = new double[2], lse = new double[2];
        var d = new AttentionDims(1, 2, 2, 1, 1, 1.0, true);
        AttentionKernels.Forward<double>(q, k, v, default, d, output, lse, new double[2], 0, 1);
        Assert.Equal(new[] { 2.0, 3.0 }, output);
        Assert.Equal(new[] { 0, Math.Log(2) }, lse);
    }

    [Fact]
    public void MaskIsReadThroughOffsetsAndStrides()
    {
        // one [1, 2] mask row shared by two slices (batch offset 0 for both, row stride 0): −∞ hides key 1
        double[] mask = [0, double.NegativeInfinity];
        double[] q = [1, 1], k = [1, 5, 1, 5], v = [2, 7, -1, 9], output = new double[2], lse = new double[2];
        var d = new AttentionDims(2, 1, 2, 1, 1, 1.0, false);
        AttentionKernels.Forward(q, k, v, new AttentionMaskSpan<double>(mask, [0, 0], 0, 1), d, output, lse, new double[2], 0, 2);
        Assert.Equal(new[] { 2.0, -1.0 }, output);
    }
}
