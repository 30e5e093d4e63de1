using Backprop.IO.OnnxProto;
using Backprop.NN;
using Google.Protobuf;

namespace Backprop.IO;

/// <summary>
/// Exports a trained model to ONNX (<c>torch.onnx.export(model, sample_input, path, opset_version=17)</c>), so ONNX
/// Runtime, TensorRT, OpenVINO or a browser can run it. The model is walked layer by layer (a <see cref="Sequential"/>,
/// nested or not, or one layer) with the sample input giving every intermediate shape; the first dim is exported as
/// a symbolic batch size. Layers are translated in evaluation mode (Dropout is the identity). A layer without a
/// translation throws <see cref="NotSupportedException"/> naming it.
/// </summary>
public static class Onnx
{
    /// <summary>The ONNX operator set the graph uses.</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version written (8: the version of opsets 15–18).</summary>
    public const int IrVersion = 8;

    /// <summary>
    /// Writes <paramref name="model"/> as an ONNX file at <paramref name="path"/> (atomically: temp file + flush + rename).
    /// With <paramref name="inputMean"/> and <paramref name="inputStd"/>, the graph first computes
    /// <c>(x − mean) / std</c> per feature, so it takes raw features.
    /// </summary>
    public static void Export(Module model, Tensor sampleInput, string path, double[]? inputMean = null, double[]? inputStd = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var proto = ToModelProto(model, sampleInput, inputMean, inputStd, metadata);
        AtomicFile.Write(path, proto.WriteTo);
    }

    /// <summary>Builds the ONNX model in memory.</summary>
    internal static ModelProto ToModelProto(Module model, Tensor sampleInput, double[]? inputMean, double[]? inputStd,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var first = Layers(model, "").Select(l => l.Layer).FirstOrDefault();
        bool indices = !sampleInput.DType.IsFloatingPoint();
        if (indices && first is not Embedding)
            throw new ArgumentException($"Onnx.Export: the sample input is {sampleInput.DType}; export a model that takes Float32 or Float64 features, or one that starts with an Embedding.");
        if (indices && inputMean is not null)
            throw new ArgumentException("Onnx.Export: inputMean/inputStd standardise features; a model that starts with an Embedding takes Int64 indices.");
        if (sampleInput.Shape.Length < 2)
            throw new ArgumentException($"Onnx.Export: the sample input has shape [{string.Join(", ", sampleInput.Shape.ToArray())}]; give a batch, e.g. one row of shape [1, features].");
        if ((inputMean is null) != (inputStd is null))
            throw new ArgumentException("Onnx.Export: give both inputMean and inputStd, or neither.");
        var g = new OnnxGraph(indices ? ((Embedding)first!).Weight.DType : sampleInput.DType);
        var shape = sampleInput.Shape.ToArray();
        g.Graph.Input.Add(g.Value("input", shape, elemType: indices ? DType.Int64 : null));
        string x = "input";
        if (inputMean is not null)
        {
            int features = shape[^1];
            if (inputMean.Length != features || inputStd!.Length != features)
                throw new ArgumentException($"Onnx.Export: inputMean has {inputMean.Length} and inputStd {inputStd!.Length} values for {features} input features.");
            x = g.Node("Sub", [x, g.Initializer("input_mean", Tensor.FromArray(inputMean).To(g.DType))]);
            x = g.Node("Div", [x, g.Initializer("input_std", Tensor.FromArray(inputStd).To(g.DType))]);
        }
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var value = sampleInput;
            foreach (var (name, layer) in Layers(model, ""))
            {
                x = OnnxLayers.Emit(g, name, layer, x, value.Shape.ToArray());
                value = layer.Forward(value);
            }
            g.Node("Identity", [x], output: "output");
            g.Graph.Output.Add(g.Value("output", value.Shape.ToArray()));
        }
        finally { model.Train(wasTraining); }

        var result = new ModelProto
        {
            IrVersion = IrVersion, ProducerName = "Backprop", ProducerVersion = typeof(Module).Assembly.GetName().Version?.ToString() ?? "",
            Graph = g.Graph,
        };
        result.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) result.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return result;
    }

    /// <summary>The leaf layers in forward order with their state-dict paths (<c>0</c>, <c>1.2</c>, ...).</summary>
    private static IEnumerable<(string Name, Module Layer)> Layers(Module m, string path)
    {
        if (m is Sequential s)
        {
            for (int i = 0; i < s.Count; i++)
                foreach (var item in Layers(s[i], path.Length == 0 ? $"{i}" : $"{path}.{i}")) yield return item;
        }
        else yield return (path.Length == 0 ? m.GetType().Name : path, m);
    }
}
