namespace Backprop;

/// <summary>
/// Compares autograd's gradients with central finite differences in Float64 (<c>torch.autograd.gradcheck</c>), with
/// PyTorch's default tolerances: |analytical − numerical| ≤ atol + rtol·|numerical| for every Jacobian entry.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Checks the Jacobian of <paramref name="func"/> at <paramref name="inputs"/> (Float64 tensors; those that require grad
    /// are checked). Returns true when all entries agree; otherwise throws <see cref="GradCheckException"/> naming the output,
    /// input and element that disagree (or returns false when <paramref name="raiseException"/> is false).
    /// </summary>
    public static bool Check(Func<Tensor[], Tensor> func, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, bool raiseException = true)
    {
        var failure = FindMismatch(func, inputs, eps, atol, rtol);
        if (failure is null) return true;
        if (raiseException) throw new GradCheckException(failure);
        return false;
    }

    /// <summary>
    /// Checks second derivatives (<c>torch.autograd.gradgradcheck</c>): the gradient of the vector-Jacobian product with a
    /// fixed random vector, computed with <c>createGraph: true</c>, is itself gradient-checked.
    /// </summary>
    public static bool CheckSecondOrder(Func<Tensor[], Tensor> func, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, long seed = 0)
    {
        Tensor v;
        using (Autograd.NoGrad()) v = Tensor.Randn(func(inputs).Shape, new Generator(seed), DType.Float64);
        return Check(xs =>
        {
            var diff = xs.Where(x => x.RequiresGrad).ToArray();
            var grads = Autograd.Grad(func(xs), diff, v, createGraph: true, allowUnused: true);
            return Tensor.Cat(grads.Select(g => g.Reshape([-1])).ToArray());
        }, inputs, eps, atol, rtol);
    }

    private static string? FindMismatch(Func<Tensor[], Tensor> func, Tensor[] inputs, double eps, double atol, double rtol)
    {
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i].DType != DType.Float64)
                throw new ArgumentException($"GradCheck: input {i} is {inputs[i].DType}; gradient checks need Float64 inputs (use .To(DType.Float64)).");
        var output = func(inputs);
        if (output.DType != DType.Float64) throw new ArgumentException($"GradCheck: the function returned {output.DType}; it must return Float64.");
        var checkedInputs = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad).ToArray();
        if (checkedInputs.Length == 0) throw new ArgumentException("GradCheck: no input requires grad, so there is nothing to check.");

        // Analytical Jacobian, one output element at a time: row j = d out[j] / d inputs.
        int outN = output.Numel;
        var analytical = checkedInputs.Select(i => new double[outN, inputs[i].Numel]).ToArray();
        for (int j = 0; j < outN; j++)
        {
            var onehot = Tensor.ZerosLike(output);
            onehot.WriteAt(j, 1);
            var grads = Autograd.Grad(output, checkedInputs.Select(i => inputs[i]).ToArray(), onehot, retainGraph: true, allowUnused: true);
            for (int c = 0; c < checkedInputs.Length; c++)
            {
                var g = grads[c].ToArray<double>();
                for (int e = 0; e < g.Length; e++) analytical[c][j, e] = g[e];
            }
        }

        // Numerical Jacobian by central differences, perturbing each input element in its storage (through the backend's
        // one-element upload/download, so the check runs on any device).
        for (int c = 0; c < checkedInputs.Length; c++)
        {
            var x = inputs[checkedInputs[c]];
            var index = new int[x.Rank];
            for (int e = 0; e < x.Numel; e++)
            {
                int at = x.StorageIndex(index);
                double orig = x.ReadAt<double>(at);
                // Evaluated with grad mode as the caller has it: a function may itself call Autograd.Grad (second order).
                x.WriteAt(at, orig + eps); var plus = func(inputs).ToArray<double>();
                x.WriteAt(at, orig - eps); var minus = func(inputs).ToArray<double>();
                x.WriteAt(at, orig);
                for (int j = 0; j < outN; j++)
                {
                    double numerical = (plus[j] - minus[j]) / (2 * eps), a = analytical[c][j, e];
                    if (!(Math.Abs(a - numerical) <= atol + rtol * Math.Abs(numerical)))
                        return $"Jacobian mismatch for output element {j} (output shape {ShapeUtil.Format(output.Shape)}) with respect to input {checkedInputs[c]} " +
                               $"(shape {ShapeUtil.Format(x.Shape)}), element {e}: numerical {numerical:R} vs analytical {a:R} (atol {atol}, rtol {rtol}).";
                }
                for (int d = x.Rank - 1; d >= 0; d--)
                {
                    if (++index[d] < x.Shape[d]) break;
                    index[d] = 0;
                }
            }
        }
        return null;
    }
}

/// <summary>Thrown by <see cref="GradCheck.Check"/> when an analytical gradient disagrees with finite differences.</summary>
public sealed class GradCheckException(string message) : Exception(message);
