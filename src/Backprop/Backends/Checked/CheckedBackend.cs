namespace Backprop.Backends.Checked;

/// <summary>
/// The test-only checked device's backend: every primitive marks the thread as inside the backend
/// (<see cref="BackendGuard"/>) and runs the CPU's implementation, so results are the CPU's bit for bit, while any raw
/// access to a checked buffer from outside a primitive throws. Running the test suite on this device
/// (<c>BACKPROP_TEST_DEVICE=checked</c>) proves that ops, nn, optim and data reach numbers only through
/// <see cref="IBackend"/>.
/// </summary>
internal sealed class CheckedBackend : IBackend
{
    /// <summary>The one instance.</summary>
    public static CheckedBackend Instance { get; } = new();

    private CheckedBackend() { }

    private static Cpu.CpuBackend Cpu => Backends.Cpu.CpuBackend.Instance;

    public Device Device => Device.Checked;

    public void AdamStep(in TensorView param, in TensorView grad, in TensorView expAvg, in TensorView expAvgSq, in TensorView maxExpAvgSq, in AdamHyper hyper)
    {
        using var _ = BackendGuard.Enter();
        Cpu.AdamStep(in param, in grad, in expAvg, in expAvgSq, in maxExpAvgSq, in hyper);
    }

    public void SgdStep(in TensorView param, in TensorView grad, in TensorView buffer, in SgdHyper hyper)
    {
        using var _ = BackendGuard.Enter();
        Cpu.SgdStep(in param, in grad, in buffer, in hyper);
    }

    public void ActivationBackward(ActivationKind kind, in TensorView grad, in TensorView output, in TensorView result)
    {
        using var _ = BackendGuard.Enter();
        Cpu.ActivationBackward(kind, in grad, in output, in result);
    }

    public void Softmax(in TensorView input, int outer, int size, int inner, in TensorView output, bool log)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Softmax(in input, outer, size, inner, in output, log);
    }

    public void SubtractOneHotAndScale(in TensorView probabilities, in TensorView target, in TensorView coef)
    {
        using var _ = BackendGuard.Enter();
        Cpu.SubtractOneHotAndScale(in probabilities, in target, in coef);
    }

    public void Convert(in TensorView source, in TensorView destination)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Convert(in source, in destination);
    }

    public void Gemm(DType dtype, in Strided2D a, in Strided2D b, in Strided2D c, int m, int k, int n, bool accumulate)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Gemm(dtype, in a, in b, in c, m, k, n, accumulate);
    }

    public void FillRows(in TensorView row, in TensorView matrix)
    {
        using var _ = BackendGuard.Enter();
        Cpu.FillRows(in row, in matrix);
    }

    public void SumAll(in TensorView input, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.SumAll(in input, in output);
    }

    public void Sum(in TensorView input, int outer, int size, int inner, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Sum(in input, outer, size, inner, in output);
    }

    public void MaxMin(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool max)
    {
        using var _ = BackendGuard.Enter();
        Cpu.MaxMin(in input, outer, size, inner, in values, in indices, max);
    }

    public void DivideInPlace(in TensorView tensor, int divisor)
    {
        using var _ = BackendGuard.Enter();
        Cpu.DivideInPlace(in tensor, divisor);
    }

    public void CopyStrided(in TensorView source, in TensorView destination)
    {
        using var _ = BackendGuard.Enter();
        Cpu.CopyStrided(in source, in destination);
    }

    public void Map(in UnaryOp op, in TensorView input, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Map(in op, in input, in output);
    }

    public void Binary(BinaryKind kind, in TensorView a, in TensorView b, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Binary(kind, in a, in b, in output);
    }

    public void BinaryScalar(BinaryKind kind, in TensorView input, double scalar, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.BinaryScalar(kind, in input, scalar, in output);
    }

    public void Where(in TensorView mask, in TensorView a, in TensorView b, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Where(in mask, in a, in b, in output);
    }

    public void IndexSelect(in TensorView input, int outer, int size, int inner, in TensorView index, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.IndexSelect(in input, outer, size, inner, in index, in output);
    }

    public void IndexAdd(in TensorView target, int outer, int size, int inner, in TensorView index, in TensorView source)
    {
        using var _ = BackendGuard.Enter();
        Cpu.IndexAdd(in target, outer, size, inner, in index, in source);
    }

    public void Scatter(ScatterKind kind, in TensorView self, in TensorView other, in TensorView index, int dim)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Scatter(kind, in self, in other, in index, dim);
    }

    public void CopyFromHost<T>(ReadOnlySpan<T> source, in TensorView destination) where T : unmanaged, INumberBase<T>
    {
        using var _ = BackendGuard.Enter();
        Cpu.CopyFromHost(source, in destination);
    }

    public void CopyToHost<T>(in TensorView source, Span<T> destination) where T : unmanaged, INumberBase<T>
    {
        using var _ = BackendGuard.Enter();
        Cpu.CopyToHost(in source, destination);
    }

    public void Fill(in TensorView destination, double value)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Fill(in destination, value);
    }

    public void Im2Col(in TensorView images, in WindowGeometry g, double padValue, in TensorView columns)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Im2Col(in images, in g, padValue, in columns);
    }

    public void Col2Im(in TensorView columns, in WindowGeometry g, in TensorView images)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Col2Im(in columns, in g, in images);
    }

    public void Conv2d(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Conv2d(in input, in weight, bias, in g, groups, in output);
    }

    public void Conv2dBackward(in TensorView grad, in TensorView input, in TensorView weight, in WindowGeometry g, int groups, TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Conv2dBackward(in grad, in input, in weight, in g, groups, inputGrad, weightGrad, biasGrad);
    }

    public void MaxPool2d(in TensorView input, in WindowGeometry g, in TensorView values, TensorView? indices, bool relu = false)
    {
        using var _ = BackendGuard.Enter();
        Cpu.MaxPool2d(in input, in g, in values, indices, relu);
    }

    public void MaxPool2dBackward(in TensorView grad, in TensorView indices, in WindowGeometry g, in TensorView inputGrad)
    {
        using var _ = BackendGuard.Enter();
        Cpu.MaxPool2dBackward(in grad, in indices, in g, in inputGrad);
    }

    public void Conv2dReluMaxPool(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView convOutput,
        in WindowGeometry pool, in TensorView pooled)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Conv2dReluMaxPool(in input, in weight, bias, in g, groups, in convOutput, in pool, in pooled);
    }

    public void Conv2dReluMaxPoolBackward(in TensorView gradPooled, in TensorView convOutput, in TensorView pooled, in WindowGeometry pool,
        in TensorView input, in TensorView weight, in WindowGeometry g, int groups, TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Conv2dReluMaxPoolBackward(in gradPooled, in convOutput, in pooled, in pool, in input, in weight, in g, groups, inputGrad, weightGrad, biasGrad);
    }

    public void MaxPool2dRecomputedBackward(in TensorView grad, in TensorView input, in TensorView output, in WindowGeometry g, in TensorView inputGrad, bool relu = false)
    {
        using var _ = BackendGuard.Enter();
        Cpu.MaxPool2dRecomputedBackward(in grad, in input, in output, in g, in inputGrad, relu);
    }

    public void CumSum(in TensorView input, int outer, int size, int inner, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.CumSum(in input, outer, size, inner, in output);
    }

    public void Prod(in TensorView input, int outer, int size, int inner, in TensorView output)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Prod(in input, outer, size, inner, in output);
    }

    public void Sort(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool descending)
    {
        using var _ = BackendGuard.Enter();
        Cpu.Sort(in input, outer, size, inner, in values, in indices, descending);
    }

    public void AttentionForward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims, in TensorView output, in TensorView logSumExp)
    {
        using var _ = BackendGuard.Enter();
        Cpu.AttentionForward(in query, in key, in value, in mask, in dims, in output, in logSumExp);
    }

    public void AttentionBackward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims, in TensorView output, in TensorView logSumExp, in TensorView gradOutput, in TensorView gradQuery, in TensorView gradKey, in TensorView gradValue)
    {
        using var _ = BackendGuard.Enter();
        Cpu.AttentionBackward(in query, in key, in value, in mask, in dims, in output, in logSumExp, in gradOutput, in gradQuery, in gradKey, in gradValue);
    }

    public void LstmCellForward(in TensorView gates, in TensorView cPrev, in TensorView h, in TensorView c, in TensorView tanhC)
    {
        using var _ = BackendGuard.Enter();
        Cpu.LstmCellForward(in gates, in cPrev, in h, in c, in tanhC);
    }

    public void LstmCellBackward(in TensorView gates, in TensorView tanhC, in TensorView cPrev, in TensorView dh, in TensorView dc,
        in TensorView dcPrev, in TensorView dGates)
    {
        using var _ = BackendGuard.Enter();
        Cpu.LstmCellBackward(in gates, in tanhC, in cPrev, in dh, in dc, in dcPrev, in dGates);
    }

    public void GruCellForward(in TensorView x, in TensorView hp, in TensorView hPrev, in TensorView h, in TensorView gates)
    {
        using var _ = BackendGuard.Enter();
        Cpu.GruCellForward(in x, in hp, in hPrev, in h, in gates);
    }

    public void GruCellBackward(in TensorView gates, in TensorView hp, in TensorView hPrev, in TensorView dh, in TensorView dhPrev,
        in TensorView dX, in TensorView dHp)
    {
        using var _ = BackendGuard.Enter();
        Cpu.GruCellBackward(in gates, in hp, in hPrev, in dh, in dhPrev, in dX, in dHp);
    }

    public void LayerNormForward(in TensorView input, in TensorView weight, in TensorView bias, double eps, int n, in TensorView output,
        in TensorView mean, in TensorView rstd)
    {
        using var _ = BackendGuard.Enter();
        Cpu.LayerNormForward(in input, in weight, in bias, eps, n, in output, in mean, in rstd);
    }

    public void LayerNormBackward(in TensorView gradOutput, in TensorView input, in TensorView mean, in TensorView rstd, in TensorView weight, int n,
        in TensorView gradInput, in TensorView gradWeight, in TensorView gradBias)
    {
        using var _ = BackendGuard.Enter();
        Cpu.LayerNormBackward(in gradOutput, in input, in mean, in rstd, in weight, n, in gradInput, in gradWeight, in gradBias);
    }

    public void GeluBackward(bool tanhApproximation, in TensorView grad, in TensorView input, in TensorView result)
    {
        using var _ = BackendGuard.Enter();
        Cpu.GeluBackward(tanhApproximation, in grad, in input, in result);
    }
}
