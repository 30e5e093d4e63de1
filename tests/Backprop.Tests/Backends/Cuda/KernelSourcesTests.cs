using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

public class KernelSourcesTests
{
    [Fact]
    public void EveryMapAndBinaryOp_HasAnExpression()
    {
        foreach (var k in Enum.GetValues<UnaryKind>()) Assert.True(ElementwiseKernels.Unary.ContainsKey(k), k.ToString());
        foreach (var k in Enum.GetValues<BinaryKind>()) Assert.True(ElementwiseKernels.Binary.ContainsKey(k), k.ToString());
    }

    [Fact]
    public void GeneratedModules_DefineOneKernelPerOpAndDtype()
    {
        var unary = KernelSources.KernelNames(KernelSources.Source("unary")).ToList();
        Assert.Equal(Enum.GetValues<UnaryKind>().Length * 2, unary.Count);
        Assert.Contains("map_gelutanh_f64", unary);
        var binary = KernelSources.KernelNames(KernelSources.Source("binary")).ToList();
        Assert.Equal(Enum.GetValues<BinaryKind>().Length * 5, binary.Count); // broadcasting f32/f64/i64, scalar f32/f64
        Assert.Contains("binary_ne_i64", binary);
        Assert.Contains(ElementwiseKernels.BinaryScalarName(BinaryKind.Div, DType.Float32), binary);
    }

    [Fact]
    public void HandWrittenModules_AreEmbeddedAndExpandPerDtype()
    {
        var fused = KernelSources.KernelNames(KernelSources.Source("fused")).ToList();
        Assert.Contains("adam_step_f32", fused);
        Assert.Contains("adam_step_f64", fused);
        Assert.Contains("subtract_one_hot_and_scale_f64", fused);
        var reduce = KernelSources.KernelNames(KernelSources.Source("reduce")).ToList();
        Assert.Contains("fill_i64", reduce);
        Assert.Contains("softmax_f32", reduce);
        Assert.DoesNotContain("softmax_i64", reduce);
        var all = KernelSources.Modules.SelectMany(m => KernelSources.KernelNames(KernelSources.Source(m))).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void Template_WrapsTheBodyInAGridStrideLoopOverT()
    {
        string k = ElementwiseKernels.Instantiate("neg_f32", "float", "const T* x, T* y", "y[i] = -x[i];");
        Assert.Contains("#define T float", k);
        Assert.Contains("extern \"C\" __global__ void neg_f32(long long n, const T* x, T* y)", k);
        Assert.Contains("BP_FOR(i, n) { y[i] = -x[i]; }", k);
        Assert.EndsWith("#undef T\n", k);
    }

    [Fact]
    public void MacroInstantiations_UseOneWordTypes()
    {
        // T(value) is a functional cast, which C++ allows only for a one-word type name ("long long(v)" does not compile).
        foreach (var module in KernelSources.Modules)
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(
                KernelSources.Source(module), @"^BP_[A-Z0-9_]+\(([^,]+),", System.Text.RegularExpressions.RegexOptions.Multiline))
                Assert.DoesNotContain(' ', m.Groups[1].Value.Trim());
    }
}
