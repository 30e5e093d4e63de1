namespace Backprop;

/// <summary>
/// The higher-order path of fused ops: when a graph of the backward is requested, a fused node's backward recomputes
/// its output from differentiable ops and returns that recomputation's gradients, themselves recorded.
/// </summary>
internal static class Recompute
{
    /// <summary>
    /// Gradients of <paramref name="inputs"/> (null for those without grad) for output gradient <paramref name="gradOutput"/>,
    /// through the composed form <paramref name="composed"/> of the fused op, with a graph (call with grad mode on).
    /// </summary>
    public static Tensor?[] Grads(Tensor[] inputs, Tensor gradOutput, Func<Tensor> composed)
    {
        var wanted = inputs.Where(i => i.RequiresGrad).ToArray();
        var grads = Autograd.Grad([composed()], wanted, [gradOutput], retainGraph: true, createGraph: true, allowUnused: true);
        var result = new Tensor?[inputs.Length];
        for (int i = 0, k = 0; i < inputs.Length; i++) if (inputs[i].RequiresGrad) result[i] = grads[k++];
        return result;
    }
}
