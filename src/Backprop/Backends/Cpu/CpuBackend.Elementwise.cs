using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Map(in UnaryOp op, in TensorView input, in TensorView output)
    {
        switch (op.Kind)
        {
            case UnaryKind.Neg: Map(new NegOp(), input, output); break;
            case UnaryKind.Exp: Map(new ExpOp(), input, output); break;
            case UnaryKind.Log: Map(new LogOp(), input, output); break;
            case UnaryKind.Sqrt: Map(new SqrtOp(), input, output); break;
            case UnaryKind.Abs: Map(new AbsOp(), input, output); break;
            case UnaryKind.Sign: Map(new SignOp(), input, output); break;
            case UnaryKind.Sigmoid: Map(new SigmoidOp(), input, output); break;
            case UnaryKind.Tanh: Map(new TanhOp(), input, output); break;
            case UnaryKind.Relu: Map(new ReluOp(), input, output); break;
            case UnaryKind.LeakyRelu: Map(new LeakyReluOp(op.A), input, output); break;
            case UnaryKind.Pow: Map(new PowScalarOp(op.A), input, output); break;
            case UnaryKind.Clamp: Map(new ClampOp(op.A, op.B), input, output); break;
            case UnaryKind.Gelu: MapSplit(new GeluOp(false), input, output); break;
            case UnaryKind.GeluTanh: MapSplit(new GeluOp(true), input, output); break;
            case UnaryKind.Erf: Map(new ErfOp(), input, output); break;
            case UnaryKind.Log1p: Map(new Log1pOp(), input, output); break;
            case UnaryKind.Expm1: Map(new Expm1Op(), input, output); break;
            case UnaryKind.Sin: Map(new SinOp(), input, output); break;
            case UnaryKind.Cos: Map(new CosOp(), input, output); break;
            case UnaryKind.Floor: Map(new FloorOp(), input, output); break;
            case UnaryKind.Ceil: Map(new CeilOp(), input, output); break;
            case UnaryKind.Round: Map(new RoundOp(), input, output); break;
            case UnaryKind.Reciprocal: Map(new ReciprocalOp(), input, output); break;
            default: Map(new RsqrtOp(), input, output); break;
        }
    }

    private static void Map<TOp>(TOp op, in TensorView x, in TensorView y) where TOp : struct, IUnaryOp
    {
        if (x.Numel >= 2 * LargeElementGrain)
        {
            // A large map (a convolution's activation) in the same contiguous halves as the ops around it split their
            // images, so each thread reads what its own core just wrote.
            MapSplit(op, x, y, LargeElementGrain);
            return;
        }
        if (x.DType == DType.Float32) op.Apply(Span<float>(x), Span<float>(y));
        else op.Apply(Span<double>(x), Span<double>(y));
    }

    /// <summary>Elements per thread below which an expensive elementwise map (GELU) stays on one thread.</summary>
    private const long ElementGrain = 1 << 15;

    /// <summary><see cref="Map{TOp}"/> cut into contiguous ranges, one per thread, from <paramref name="grain"/> elements per thread (a costly op's <see cref="ElementGrain"/> by default).</summary>
    private static void MapSplit<TOp>(TOp op, in TensorView x, in TensorView y, long grain = ElementGrain) where TOp : struct, IUnaryOp
    {
        TensorView xv = x, yv = y;
        ForElements(x.Numel, grain, (start, length) =>
        {
            if (xv.DType == DType.Float32) op.Apply<float>(Span<float>(xv).Slice(start, length), Span<float>(yv).Slice(start, length));
            else op.Apply<double>(Span<double>(xv).Slice(start, length), Span<double>(yv).Slice(start, length));
        });
    }

    /// <summary>
    /// Elements per thread below which a cheap, memory-bound elementwise pass (ReLU and its gradient) stays on one
    /// thread; above it, splitting keeps each half on the core that produced it (measured on the CNN's 3.2 M-element
    /// activations: the ReLU gradient took 2.5 ms on the caller at 2 threads, 1.9 at 1, while it ran unsplit; split,
    /// the CNN epoch at 2 threads went from 4,555–4,677 to 5,152–5,291 samples/s in alternating runs).
    /// </summary>
    private const long LargeElementGrain = 1 << 18;

    /// <summary>Runs body(start, length) over [0, n) in one range, or in one range per thread (multiples of 64) when n is large.</summary>
    private static void ForElements(int n, Action<int, int> body) => ForElements(n, ElementGrain, body);

    private static void ForElements(int n, long grain, Action<int, int> body)
    {
        int parts = Threading.ForWork(n, grain);
        if (parts <= 1) { body(0, n); return; }
        int Bound(int part) => part == parts ? n : (int)((long)n * part / parts) & ~63;
        WorkerPool.Run(parts, part => body(Bound(part), Bound(part + 1) - Bound(part)));
    }

    public void Binary(BinaryKind kind, in TensorView a, in TensorView b, in TensorView output)
    {
        switch (kind)
        {
            case BinaryKind.Add: Binary<AddOp>(a, b, output); break;
            case BinaryKind.Sub: Binary<SubOp>(a, b, output); break;
            case BinaryKind.Mul: Binary<MulOp>(a, b, output); break;
            case BinaryKind.Div: Binary<DivOp>(a, b, output); break;
            case BinaryKind.Max: Binary<MaxOp>(a, b, output); break;
            case BinaryKind.Min: Binary<MinOp>(a, b, output); break;
            case BinaryKind.Eq: Binary<EqOp>(a, b, output); break;
            case BinaryKind.Ne: Binary<NeOp>(a, b, output); break;
            case BinaryKind.Lt: Binary<LtOp>(a, b, output); break;
            case BinaryKind.Le: Binary<LeOp>(a, b, output); break;
            case BinaryKind.Gt: Binary<GtOp>(a, b, output); break;
            case BinaryKind.Ge: Binary<GeOp>(a, b, output); break;
            default: Binary<PowOp>(a, b, output); break;
        }
    }

    private static void Binary<TOp>(in TensorView a, in TensorView b, in TensorView y) where TOp : IBinaryOp<TOp>
    {
        switch (y.DType)
        {
            case DType.Float32: Binary<float, TOp>(a, b, y); break;
            case DType.Float64: Binary<double, TOp>(a, b, y); break;
            default: Binary<long, TOp>(a, b, y); break;
        }
    }

    private static void Binary<T, TOp>(in TensorView a, in TensorView b, in TensorView y) where T : unmanaged, INumber<T> where TOp : IBinaryOp<TOp>
    {
        if (IsContiguous(a) && IsContiguous(b) && ShapeUtil.SameShape(a.Shape, b.Shape))
            BinaryKernel.Flat<T, TOp>(Span<T>(a), Span<T>(b), Span<T>(y));
        else
            BinaryKernel.Run<T, TOp>((T[])a.Storage.Data, a.Offset, ShapeUtil.BroadcastStrides(a.Shape, a.Strides, y.Shape),
                (T[])b.Storage.Data, b.Offset, ShapeUtil.BroadcastStrides(b.Shape, b.Strides, y.Shape), Span<T>(y), y.Shape);
    }

    public void BinaryScalar(BinaryKind kind, in TensorView input, double scalar, in TensorView output)
    {
        switch (kind)
        {
            case BinaryKind.Add: BinaryScalar<AddOp>(input, scalar, output); break;
            case BinaryKind.Sub: BinaryScalar<SubOp>(input, scalar, output); break;
            case BinaryKind.Mul: BinaryScalar<MulOp>(input, scalar, output); break;
            case BinaryKind.Div: BinaryScalar<DivOp>(input, scalar, output); break;
            default: throw new InvalidOperationException($"internal: BinaryScalar does not do {kind}");
        }
    }

    private static void BinaryScalar<TOp>(in TensorView x, double s, in TensorView y) where TOp : IBinaryOp<TOp>
    {
        if (x.DType == DType.Float32) TOp.Apply(Span<float>(x), (float)s, Span<float>(y));
        else TOp.Apply(Span<double>(x), s, Span<double>(y));
    }

    public void Where(in TensorView mask, in TensorView a, in TensorView b, in TensorView output)
    {
        switch (output.DType)
        {
            case DType.Float32: Where<float>(mask, a, b, output); break;
            case DType.Float64: Where<double>(mask, a, b, output); break;
            default: Where<long>(mask, a, b, output); break;
        }
    }

    private static void Where<T>(in TensorView mask, in TensorView a, in TensorView b, in TensorView y) where T : unmanaged, INumber<T>
    {
        T[] ma = (T[])mask.Storage.Data, aa = (T[])a.Storage.Data, ba = (T[])b.Storage.Data;
        var dst = Span<T>(y);
        var loop = new StridedLoop(y.Shape, mask.Strides, mask.Offset, a.Strides, a.Offset, b.Strides, b.Offset);
        int n = loop.RowLength, sm = loop.InnerStrideA, sa = loop.InnerStrideB, sb = loop.InnerStrideC, row = 0;
        while (loop.MoveNext())
        {
            int om = loop.OffsetA, oa = loop.OffsetB, ob = loop.OffsetC;
            for (int i = 0; i < n; i++, om += sm, oa += sa, ob += sb) dst[row + i] = ma[om] != T.Zero ? aa[oa] : ba[ob];
            row += n;
        }
    }

    /// <summary>Row-major without gaps (dimensions of size 1 may have any stride), as <c>Tensor.IsContiguous</c>.</summary>
    private static bool IsContiguous(in TensorView v)
    {
        int expected = 1;
        for (int i = v.Shape.Length - 1; i >= 0; i--)
        {
            if (v.Shape[i] != 1 && v.Strides[i] != expected) return false;
            expected *= v.Shape[i];
        }
        return true;
    }
}
