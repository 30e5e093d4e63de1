using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Backprop.Cli.Tests;

/// <summary>
/// Packs the solution as a release would (<c>dotnet pack --no-build</c> over the build <c>dotnet test</c> just made)
/// into a temporary folder, once for the class.
/// </summary>
public sealed class PackedSolution : IDisposable
{
    public string Root { get; }
    public string Folder { get; } = Directory.CreateTempSubdirectory("backprop-pack-").FullName;
    /// <summary>Directory.Build.props, where the shared metadata is set once.</summary>
    public XElement Props { get; }

    public PackedSolution()
    {
        Root = FindRoot();
        Props = XDocument.Load(Path.Combine(Root, "Directory.Build.props")).Root!;
        var configuration = typeof(PackedSolution).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var start = new ProcessStartInfo("dotnet", ["pack", Path.Combine(Root, "Backprop.sln"), "--no-build", "-c", configuration,
            "-o", Folder, "--disable-build-servers", "-nologo"])
        { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        // dotnet test hands its MSBuild settings to the test host; a child build must find its own.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(entireProcessTree: true); throw new TimeoutException("dotnet pack took over 5 minutes"); }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet pack failed ({process.ExitCode}); run 'dotnet build Backprop.sln -c {configuration}' first if a project is not built:\n{stdout}\n{stderr.Result}");
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    /// <summary>The packages made, in id order.</summary>
    public IReadOnlyList<Package> Packages => packages ??= Directory.GetFiles(Folder, "*.nupkg").Select(Package.Read).OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
    private List<Package>? packages;

    /// <summary>The .snupkg beside a package.</summary>
    public Package Symbols(Package p) => Package.Read(Path.Combine(Folder, $"{p.Id}.{p.Get("version")}.snupkg"));

    public string Property(string name) =>
        Props.Descendants(name).Select(e => e.Value).FirstOrDefault() ?? throw new InvalidOperationException($"Directory.Build.props sets no {name}");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backprop.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Backprop.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A package as nuget.org reads it: the nuspec's metadata, its entries' names, and the text of its small text files.</summary>
public sealed record Package(string Id, XElement Metadata, HashSet<string> Entries, Dictionary<string, string> Texts, long Size)
{
    public string Get(string element) => Element(element)?.Value ?? "";
    public XElement? Element(string element) => Metadata.Elements().FirstOrDefault(e => e.Name.LocalName == element);

    public static Package Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var texts = zip.Entries.Where(e => e.FullName.EndsWith(".md", StringComparison.Ordinal) || e.FullName.EndsWith(".xml", StringComparison.Ordinal)
                || e.FullName.EndsWith(".nuspec", StringComparison.Ordinal))
            .ToDictionary(e => e.FullName, e => { using var r = new StreamReader(e.Open()); return r.ReadToEnd(); });
        var metadata = XDocument.Parse(texts.Single(t => t.Key.EndsWith(".nuspec", StringComparison.Ordinal)).Value).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        return new Package(metadata.Elements().Single(e => e.Name.LocalName == "id").Value, metadata,
            zip.Entries.Select(e => e.FullName).ToHashSet(), texts, new FileInfo(path).Length);
    }
}

/// <summary>Every package's metadata, read from its .nuspec as nuget.org would: licence, readme, version, tags, repository, symbols.</summary>
public sealed class PackageTests(PackedSolution packed) : IClassFixture<PackedSolution>
{
    private IReadOnlyList<Package> Packages() => packed.Packages;

    [Fact]
    public void EverySourceProject_IsAPackage()
    {
        var projects = Directory.GetDirectories(Path.Combine(packed.Root, "src")).Where(d => Directory.GetFiles(d, "*.csproj").Length > 0)
            .Select(d => Path.GetFileName(d)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Contains("Backprop", projects);
        Assert.Contains("Backprop.Cli", projects);
        // A project under src/ that packs nothing has not opted in: IsPackable, a Description and a README.md beside it.
        Assert.Equal(projects, Packages().Select(p => p.Id).ToList());
    }

    [Fact]
    public void EveryPackage_HasTheSharedMetadata()
    {
        var repository = packed.Property("RepositoryUrl");
        var sharedTags = packed.Property("PackageTags").Split(';');
        var license = File.ReadAllText(Path.Combine(packed.Root, "LICENSE"));
        Assert.StartsWith("MIT License", license, StringComparison.Ordinal);
        foreach (var p in Packages())
        {
            var license2 = p.Element("license");
            Assert.True(license2 is not null, $"{p.Id}: no <license>");
            Assert.Equal(("expression", "MIT"), ((string?)license2.Attribute("type"), license2.Value));
            Assert.Equal(packed.Property("Authors"), p.Get("authors"));
            Assert.Equal(repository, p.Get("projectUrl"));
            var repo = p.Element("repository");
            Assert.True(repo is not null, $"{p.Id}: no <repository>");
            Assert.Equal(("git", repository), ((string?)repo.Attribute("type"), (string?)repo.Attribute("url")));
            Assert.True(p.Get("description").Length >= 40, $"{p.Id}: description '{p.Get("description")}' is too short to tell what it is");
            var tags = p.Get("tags").Split(' ');
            Assert.All(sharedTags, t => Assert.Contains(t, tags));
            Assert.Contains("CHANGELOG.md", p.Get("releaseNotes"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryPackage_CarriesItsOwnReadme()
    {
        foreach (var p in Packages())
        {
            Assert.Equal("README.md", p.Get("readme"));
            var packedReadme = p.Texts["README.md"];
            Assert.Equal(File.ReadAllText(Path.Combine(packed.Root, "src", p.Id, "README.md")), packedReadme);
            Assert.Contains("dotnet ", packedReadme, StringComparison.Ordinal); // says how to install
            Assert.Contains("MIT", packedReadme, StringComparison.Ordinal);
        }
        // The library's readme maps PyTorch's names to Backprop's.
        var library = Packages().Single(p => p.Id == "Backprop").Texts["README.md"];
        foreach (var (torch, backprop) in new[] { ("optim.SGD", "Sgd"), ("nn.MSELoss", "MseLoss"), ("torch.no_grad()", "Autograd.NoGrad()"), ("torch.autograd.grad", "Autograd.Grad") })
            Assert.Matches($@"\|[^\n]*{Regex.Escape(torch)}[^\n]*\|[^\n]*{Regex.Escape(backprop)}", library);
    }

    [Fact]
    public void Version_ComesFromOnePlace_AndHasAChangelogEntry()
    {
        var version = packed.Property("VersionPrefix");
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        var changelog = File.ReadAllText(Path.Combine(packed.Root, "CHANGELOG.md"));
        // Keep a Changelog: an Unreleased section first, then the released versions, newest first.
        var headings = Regex.Matches(changelog, @"^## \[([^\]]+)\]", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal("Unreleased", headings[0]);
        Assert.Equal(version, headings[1]);
        Assert.Matches($@"(?m)^\[{Regex.Escape(version)}\]: ", changelog); // the version's link
        Assert.All(Packages(), p => Assert.Equal(version, p.Get("version")));
    }

    [Fact]
    public void EveryPackage_HasASymbolPackage_WithItsPdbs()
    {
        foreach (var p in Packages())
        {
            var assemblies = p.Entries.Where(k => k.EndsWith(".dll", StringComparison.Ordinal) && Path.GetFileNameWithoutExtension(k).StartsWith("Backprop", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(assemblies);
            var symbols = packed.Symbols(p).Entries;
            Assert.All(assemblies, dll => Assert.Contains(Path.ChangeExtension(dll, ".pdb"), symbols));
        }
    }

    [Fact]
    public void Library_DependsOnlyOnSystemNumericsTensors_AndShipsItsXmlDocs()
    {
        var library = Packages().Single(p => p.Id == "Backprop");
        var dependencies = library.Metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string?)e.Attribute("id")).Distinct().ToList();
        Assert.Equal(["System.Numerics.Tensors"], dependencies);
        Assert.Contains("lib/net10.0/Backprop.dll", library.Entries);
        Assert.Contains("lib/net10.0/Backprop.xml", library.Entries);
    }

    [Fact]
    public void Tool_InstallsAsBackprop_WithoutNativeDebugSymbols()
    {
        var tool = Packages().Single(p => p.Id == "Backprop.Cli");
        Assert.Contains(tool.Metadata.Descendants(), e => e.Name.LocalName == "packageType" && (string?)e.Attribute("name") == "DotnetTool");
        var settings = XDocument.Parse(tool.Texts["tools/net10.0/any/DotnetToolSettings.xml"]);
        var command = settings.Descendants("Command").Single();
        Assert.Equal(("backprop", "Backprop.Cli.dll"), ((string?)command.Attribute("Name"), (string?)command.Attribute("EntryPoint")));
        // The charts' native library for the common platforms, and none of the Windows .pdb files SkiaSharp ships.
        foreach (var rid in new[] { "linux-x64", "linux-arm64", "linux-musl-x64", "win-x64" })
            Assert.Contains(tool.Entries, k => k.StartsWith($"tools/net10.0/any/runtimes/{rid}/native/libSkiaSharp.", StringComparison.Ordinal));
        Assert.Contains(tool.Entries, k => k.StartsWith("tools/net10.0/any/runtimes/osx/native/libSkiaSharp.", StringComparison.Ordinal));
        Assert.DoesNotContain(tool.Entries, k => k.Contains("/runtimes/", StringComparison.Ordinal) && k.EndsWith(".pdb", StringComparison.Ordinal));
        Assert.True(tool.Size < 250L * 1024 * 1024, $"the tool package is {tool.Size / 1e6:F0} MB; nuget.org takes at most 250 MB");
    }
}
