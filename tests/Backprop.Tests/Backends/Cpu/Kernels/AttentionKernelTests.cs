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
        AttentionKernels.Forward<double>(q, Rows(1, 1, 1), k, Rows(1, 2, 1), v, Rows(1, 2, 1), default, d, output, Rows(1, 1, 1), lse, 0, 1);
        Assert.Equal(5, output[0], 12);            // 3/3 + 2·6/3
        Assert.Equal(Math.Log(3), lse[0], 12);     // log(e⁰ + e^ln2)
        // dO = 1: dV = p = (1/3, 2/3); dP = v = (3, 6); dS = p ⊙ (dP − O) = (1/3·(−2), 2/3·1) = (−2/3, 2/3);
        // dQ = Σ dSⱼ·kⱼ = 2/3·ln 2; dK = dS·q = (−2/3, 2/3)
        double[] gq = new double[1], gk = new double[2], gv = new double[2];
        AttentionKernels.Backward<double>(q, Rows(1, 1, 1), k, Rows(1, 2, 1), v, Rows(1, 2, 1), default, d, output, Rows(1, 1, 1), lse,
            [1.0], Rows(1, 1, 1), gq, Rows(1, 1, 1), gk, Rows(1, 2, 1), gv, Rows(1, 2, 1), 0, 1);
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
        AttentionKernels.Forward<double>(q, Rows(1, 2, 1), k, Rows(1, 2, 1), v, Rows(1, 2, 1), default, d, output, Rows(1, 2, 1), lse, 0, 1);
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
        AttentionKernels.Forward(q, Rows(2, 1, 1), k, Rows(2, 2, 1), v, Rows(2, 2, 1), new AttentionMaskSpan<double>(mask, [0, 0], 0, 1), d,
            output, Rows(2, 1, 1), lse, 0, 2);
        Assert.Equal(new[] { 2.0, -1.0 }, output);
    }

    [Fact]
    public void OperandsAreReadAndWrittenThroughSliceBasesAndRowStrides()
    {
        // one slice of two rows packed as [q k v] per row (row stride 3), as heads of a packed projection: the scores of
        // the [1, 2] example above (q = 1, k = (0, ln 2), v = (3, 6)) for both queries, causal off
        double ln2 = Math.Log(2);
        double[] qkv = [1, 0, 3, 1, ln2, 6], output = new double[4], lse = new double[2];
        var d = new AttentionDims(1, 2, 2, 1, 1, 1.0, false);
        var (q, k, v) = (new AttentionOperand([0], 3), new AttentionOperand([1], 3), new AttentionOperand([2], 3));
        var o = new AttentionOperand([1], 2); // output rows at 1 and 3 of a 4-value buffer
        AttentionKernels.Forward<double>(qkv, q, qkv, k, qkv, v, default, d, output, o, lse, 0, 1);
        Reference.AssertClose([0, 5, 0, 5], output, 1e-12, 0, "output");
        // dO = 1 on both rows: each row's dK = (−2/3, 2/3) and dV = (1/3, 2/3) as above, summed over the two rows; dQ = 2/3·ln 2
        double[] grad = new double[6];
        AttentionKernels.Backward<double>(qkv, q, qkv, k, qkv, v, default, d, output, o, lse, [0, 1, 0, 1], o, grad, q, grad, k, grad, v, 0, 1);
        Reference.AssertClose([2.0 / 3 * ln2, -4.0 / 3, 2.0 / 3, 2.0 / 3 * ln2, 4.0 / 3, 4.0 / 3], grad, 1e-12, 0, "dQ, dK, dV");
    }

    /// <summary>b contiguous slices of rows × cols.</summary>
    private static AttentionOperand Rows(int b, int rows, int cols) =>
        new([.. Enumerable.Range(0, b).Select(i => i * rows * cols)], cols);
}
