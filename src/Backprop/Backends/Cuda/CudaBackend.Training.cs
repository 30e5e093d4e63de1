namespace Backprop.Backends.Cuda;

internal sealed partial class CudaBackend
{
    public void ActivationBackward(ActivationKind kind, in TensorView grad, in TensorView output, in TensorView result)
    {
        RequireFloating(result.DType, "ActivationBackward");
        string name = kind switch
        {
            ActivationKind.Relu => "relu_backward_",
            ActivationKind.Sigmoid => "sigmoid_backward_",
            _ => "tanh_backward_",
        };
        long n = result.Numel;
        Launch("fused", name + ElementwiseKernels.Suffix(result.DType), n,
            new KernelArgs().Add(n).Add(Pointer(grad)).Add(Pointer(output)).Add(Pointer(result)));
    }

    public void AdamStep(in TensorView param, in TensorView grad, in TensorView expAvg, in TensorView expAvgSq, in TensorView maxExpAvgSq, in AdamHyper hyper)
    {
        RequireFloating(param.DType, "AdamStep");
        long n = param.Numel;
        ulong vmax = hyper.Amsgrad ? Pointer(maxExpAvgSq) : 0;
        Launch("fused", "adam_step_" + ElementwiseKernels.Suffix(param.DType), n, new KernelArgs().Add(n)
            .Add(Pointer(param)).Add(Pointer(grad)).Add(Pointer(expAvg)).Add(Pointer(expAvgSq)).Add(vmax)
            .Add(hyper.Beta1).Add(hyper.Beta2).Add(hyper.StepSize).Add(hyper.BiasCorrection2Sqrt).Add(hyper.Eps).Add(hyper.Amsgrad ? 1 : 0));
    }

    public void SgdStep(in TensorView param, in TensorView grad, in TensorView buffer, in SgdHyper hyper)
    {
        RequireFloating(param.DType, "SgdStep");
        long n = param.Numel;
        ulong buf = hyper.Momentum != 0 ? Pointer(buffer) : 0;
        Launch("fused", "sgd_step_" + ElementwiseKernels.Suffix(param.DType), n, new KernelArgs().Add(n)
            .Add(Pointer(param)).Add(Pointer(grad)).Add(buf).Add(hyper.Lr).Add(hyper.Momentum).Add(hyper.Dampening)
            .Add(hyper.WeightDecay).Add(hyper.Nesterov ? 1 : 0).Add(hyper.FirstStep ? 1 : 0));
    }

    public void SubtractOneHotAndScale(in TensorView probabilities, in TensorView target, in TensorView coef)
    {
        RequireFloating(probabilities.DType, "SubtractOneHotAndScale");
        long rows = target.Numel;
        int classes = rows == 0 ? 0 : (int)(probabilities.Numel / rows);
        Launch("fused", "subtract_one_hot_and_scale_" + ElementwiseKernels.Suffix(probabilities.DType), rows * classes, new KernelArgs()
            .Add(rows).Add(classes).Add(Pointer(probabilities)).Add(Pointer(target)).Add(Pointer(coef)));
    }

    public void Sum(in TensorView input, int outer, int size, int inner, in TensorView output)
    {
        Launch("reduce", "sum_dim_" + ElementwiseKernels.Suffix(input.DType), (long)outer * inner, new KernelArgs()
            .Add((long)outer).Add((long)size).Add((long)inner).Add(Pointer(input)).Add(Pointer(output)));
    }

    public void Softmax(in TensorView input, int outer, int size, int inner, in TensorView output, bool log)
    {
        RequireFloating(input.DType, "Softmax");
        Launch("reduce", "softmax_" + ElementwiseKernels.Suffix(input.DType), (long)outer * inner, new KernelArgs()
            .Add((long)outer).Add((long)size).Add((long)inner).Add(Pointer(input)).Add(Pointer(output)).Add(log ? 1 : 0));
    }
}
