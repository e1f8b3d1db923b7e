using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.FileSystem.Overlay;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Carapace.Enclave.Tests.FileSystem.Overlay;

/// <summary>One change a guest can make to a tree.</summary>
public sealed record TreeOp(string Kind, string Path, string Other, string Data)
{
    public override string ToString() => $"{Kind}({Path}{(Other.Length == 0 ? "" : ", " + Other)}{(Data.Length == 0 ? "" : ", \"" + Data + "\"")})";
}

/// <summary>Sequences of changes over a few paths that exist in the lower tree, below it, or nowhere.</summary>
public static class TreeOpArbitraries
{
    private static readonly string[] s_paths = ["a", "a/x", "a/y", "a/sub", "a/sub/z", "b", "b/w", "c", "c/v", "f", "g", "a/sub/q"];

    public static Arbitrary<TreeOp[]> Ops() =>
        (from kind in Gen.Elements("write", "create", "truncate", "unlink", "mkdir", "rmdir", "rename", "link", "symlink", "touch")
         from path in Gen.Elements(s_paths)
         from other in Gen.Elements(s_paths)
         from data in Gen.Elements("", "1", "hello", "0123456789")
         select new TreeOp(kind, path, other, data)).ArrayOf().ToArbitrary();
}

/// <summary>
/// The overlay must behave exactly like a writable tree that starts as a copy of the image: the same errno for every
/// change, the same tree and bytes afterwards, and the image never changes.
/// </summary>
public sealed class OverlayModelTests
{
    private static readonly (string Path, string Content)[] s_files = [("a/x", "lower x"), ("a/sub/z", "deep"), ("b/w", "bw"), ("f", "top file")];
    private static readonly string[] s_directories = ["a", "a/sub", "b"];

    [Property(MaxTest = 300, Arbitrary = [typeof(TreeOpArbitraries)])]
    public void The_overlay_behaves_like_a_writable_copy_of_the_image(TreeOp[] ops)
    {
        var lower = new ReadOnlyTestFileSystem(s_files, s_directories);
        using var overlay = new OverlayFileSystem(lower, new MemoryFileSystem(1 << 20));
        using var model = new MemoryFileSystem(1 << 20);
        foreach (var d in s_directories)
        {
            Assert.Equal(Errno.Success, model.CreateDirectory(d));
        }

        foreach (var (path, content) in s_files)
        {
            Write(model, path, content, OpenFlags.Create | OpenFlags.Write);
        }

        for (var i = 0; i < ops.Length; i++)
        {
            var expected = Apply(model, ops[i]);
            var actual = Apply(overlay, ops[i]);
            Assert.True(expected == actual, $"{ops[i]}: {actual}, a writable copy says {expected} (after {string.Join("; ", ops.Take(i))})");
        }

        Assert.Equal(Snapshot(model), Snapshot(overlay));
        Assert.Equal(Snapshot(new ReadOnlyTestFileSystem(s_files, s_directories)), Snapshot(lower));
    }

    private static Errno Apply(IFileSystem fs, TreeOp op) => op.Kind switch
    {
        "write" => Write(fs, op.Path, op.Data, OpenFlags.Write),
        "create" => Write(fs, op.Path, op.Data, OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.Write),
        "truncate" => Write(fs, op.Path, op.Data, OpenFlags.Truncate | OpenFlags.Write),
        "unlink" => fs.Unlink(op.Path),
        "mkdir" => fs.CreateDirectory(op.Path),
        "rmdir" => fs.RemoveDirectory(op.Path),
        "rename" => fs.Rename(op.Path, op.Other),
        "link" => fs.Link(op.Path, op.Other),
        "symlink" => fs.Symlink(op.Data.Length == 0 ? "t" : op.Data, op.Path),
        "touch" => fs.SetTimes(op.Path, 5, 7),
        _ => throw new ArgumentException(op.Kind),
    };

    /// <summary>Opens and writes at offset 2 (so a copy-up must keep the bytes before it); the errno of the first step that failed.</summary>
    private static Errno Write(IFileSystem fs, string path, string data, OpenFlags flags)
    {
        var e = fs.Open(path, flags, out var handle);
        if (e != Errno.Success)
        {
            return e;
        }

        using (handle)
        {
            return handle!.Write(flags.HasFlag(OpenFlags.Create) ? 0 : 2, Encoding.UTF8.GetBytes(data));
        }
    }

    /// <summary>Every path with its kind, content (files), target (symlinks), link count and times (set ones only).</summary>
    private static string Snapshot(IFileSystem fs)
    {
        var lines = new List<string>();
        Walk(fs, "", lines);
        return string.Join('\n', lines);
    }

    private static void Walk(IFileSystem fs, string dir, List<string> lines)
    {
        Assert.Equal(Errno.Success, fs.List(dir, out var entries));
        foreach (var entry in entries)
        {
            var path = dir.Length == 0 ? entry.Name : dir + "/" + entry.Name;
            Assert.Equal(Errno.Success, fs.Stat(path, out var info));
            Assert.Equal(entry.Kind, info.Kind);
            var times = info.ModifiedNanoseconds == 7 ? " touched" : "";
            switch (info.Kind)
            {
                case NodeKind.Directory:
                    lines.Add($"{path}/{times}");
                    Walk(fs, path, lines);
                    break;
                case NodeKind.Symlink:
                    Assert.Equal(Errno.Success, fs.ReadLink(path, out var target));
                    lines.Add($"{path} -> {target}{times}");
                    break;
                default:
                    Assert.Equal(Errno.Success, fs.Open(path, OpenFlags.None, out var handle));
                    using (handle)
                    {
                        var bytes = new byte[handle!.Length];
                        Assert.Equal(Errno.Success, handle.Read(0, bytes, out _));
                        lines.Add($"{path} [{info.LinkCount}] {Convert.ToHexString(bytes)}{times}");
                    }

                    break;
            }
        }
    }
}
