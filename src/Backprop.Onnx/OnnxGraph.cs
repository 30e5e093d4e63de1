using System.Runtime.InteropServices;
using Backprop.IO.OnnxProto;
using Google.Protobuf;

namespace Backprop.IO;

/// <summary>Builds an ONNX graph node by node: fresh value names, initializers (weights and constants) and nodes.</summary>
internal sealed class OnnxGraph(DType dtype)
{
    private int counter;

    public GraphProto Graph { get; } = new() { Name = "backprop" };

    /// <summary>The element type of the graph's floating-point values.</summary>
    public DType DType => dtype;

    /// <summary>The ONNX <c>TensorProto.DataType</c> code of <paramref name="d"/>.</summary>
    public static int ElemType(DType d) => d switch
    {
        DType.Float32 => (int)TensorProto.Types.DataType.Float,
        DType.Float64 => (int)TensorProto.Types.DataType.Double,
        _ => (int)TensorProto.Types.DataType.Int64,
    };

    /// <summary>A value name not used before, starting with <paramref name="hint"/>.</summary>
    public string Fresh(string hint) => $"{hint}_{counter++}";

    /// <summary>Adds a tensor as an initializer named <paramref name="name"/>; returns the name.</summary>
    public string Initializer(string name, Tensor t)
    {
        var proto = new TensorProto { Name = name, DataType = ElemType(t.DType) };
        proto.Dims.AddRange(t.Shape.ToArray().Select(d => (long)d));
        byte[] raw = t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
            _ => MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
        };
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export writes little-endian raw data; this machine is big-endian.");
        proto.RawData = ByteString.CopyFrom(raw);
        Graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>A scalar constant of the graph's dtype, as an initializer.</summary>
    public string Scalar(double value) => Initializer(Fresh("const"), Tensor.Scalar(value, dtype));

    /// <summary>An Int64 vector constant (shapes, axes), as an initializer.</summary>
    public string Ints(params long[] values) => Initializer(Fresh("shape"), Tensor.FromArray(values));

    /// <summary>Adds a node with one output; returns the output's name.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes) => Node(opType, inputs, Fresh(opType.ToLowerInvariant()), attributes);

    /// <summary>Adds a node whose output is named <paramref name="output"/>; returns the name.</summary>
    public string Node(string opType, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    /// <summary>A graph input or output: a tensor of the graph's dtype whose first dim is the symbolic batch size.</summary>
    public ValueInfoProto Value(string name, IReadOnlyList<int> shape, string batchName = "batch", DType? elemType = null)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = ElemType(elemType ?? dtype), Shape = new TensorShapeProto() };
        for (int i = 0; i < shape.Count; i++)
            tensorType.Shape.Dim.Add(i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = batchName } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
