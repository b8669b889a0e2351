// GENERATED FILE - DO NOT EDIT.
// Generated from proto/capture.proto by scripts/gen-proto.js (protobufjs-cli pbjs/pbts).
// Regenerate with: npm run gen:proto
import * as $protobuf from "protobufjs";
import Long = require("long");
export namespace pymemprof {

    namespace capture {

        interface IFrame {
            header?: (pymemprof.capture.IHeader|null);
            codeObjects?: (pymemprof.capture.ICodeObjects|null);
            stackNodes?: (pymemprof.capture.IStackNodes|null);
            threads?: (pymemprof.capture.IThreads|null);
            batch?: (pymemprof.capture.IRecordBatch|null);
            marks?: (pymemprof.capture.IMarks|null);
            trailer?: (pymemprof.capture.ITrailer|null);
            compressed?: (pymemprof.capture.ICompressed|null);
        }

        class Frame implements IFrame {
            constructor(properties?: pymemprof.capture.IFrame);
            public header?: (pymemprof.capture.IHeader|null);
            public codeObjects?: (pymemprof.capture.ICodeObjects|null);
            public stackNodes?: (pymemprof.capture.IStackNodes|null);
            public threads?: (pymemprof.capture.IThreads|null);
            public batch?: (pymemprof.capture.IRecordBatch|null);
            public marks?: (pymemprof.capture.IMarks|null);
            public trailer?: (pymemprof.capture.ITrailer|null);
            public compressed?: (pymemprof.capture.ICompressed|null);
            public body?: ("header"|"codeObjects"|"stackNodes"|"threads"|"batch"|"marks"|"trailer"|"compressed");
            public static create(properties?: pymemprof.capture.IFrame): pymemprof.capture.Frame;
            public static encode(message: pymemprof.capture.IFrame, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Frame;
        }

        interface ICompressed {
            rawSize?: (number|null);
            lz4?: (Uint8Array|null);
        }

        class Compressed implements ICompressed {
            constructor(properties?: pymemprof.capture.ICompressed);
            public rawSize: number;
            public lz4: Uint8Array;
            public static create(properties?: pymemprof.capture.ICompressed): pymemprof.capture.Compressed;
            public static encode(message: pymemprof.capture.ICompressed, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Compressed;
        }

        interface IHeader {
            magic?: (string|null);
            formatVersion?: (number|null);
            pythonVersion?: (string|null);
            pythonHexversion?: (number|null);
            geometry?: (pymemprof.capture.IPymallocGeometry|null);
            pid?: (number|null);
            argv?: (string[]|null);
            startTimeUnixUs?: (number|null);
            executable?: (string|null);
            sampleBytes?: (number|null);
            timeQuantumUs?: (number|null);
        }

        class Header implements IHeader {
            constructor(properties?: pymemprof.capture.IHeader);
            public magic: string;
            public formatVersion: number;
            public pythonVersion: string;
            public pythonHexversion: number;
            public geometry?: (pymemprof.capture.IPymallocGeometry|null);
            public pid: number;
            public argv: string[];
            public startTimeUnixUs: number;
            public executable: string;
            public sampleBytes: number;
            public timeQuantumUs: number;
            public static create(properties?: pymemprof.capture.IHeader): pymemprof.capture.Header;
            public static encode(message: pymemprof.capture.IHeader, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Header;
        }

        interface IPymallocGeometry {
            arenaSize?: (number|null);
            poolSize?: (number|null);
            alignment?: (number|null);
            smallRequestThreshold?: (number|null);
        }

        class PymallocGeometry implements IPymallocGeometry {
            constructor(properties?: pymemprof.capture.IPymallocGeometry);
            public arenaSize: number;
            public poolSize: number;
            public alignment: number;
            public smallRequestThreshold: number;
            public static create(properties?: pymemprof.capture.IPymallocGeometry): pymemprof.capture.PymallocGeometry;
            public static encode(message: pymemprof.capture.IPymallocGeometry, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.PymallocGeometry;
        }

        interface ICodeObject {
            id?: (number|null);
            name?: (string|null);
            qualname?: (string|null);
            filename?: (string|null);
            firstLine?: (number|null);
            lineStarts?: (number[]|null);
            lines?: (number[]|null);
        }

        class CodeObject implements ICodeObject {
            constructor(properties?: pymemprof.capture.ICodeObject);
            public id: number;
            public name: string;
            public qualname: string;
            public filename: string;
            public firstLine: number;
            public lineStarts: number[];
            public lines: number[];
            public static create(properties?: pymemprof.capture.ICodeObject): pymemprof.capture.CodeObject;
            public static encode(message: pymemprof.capture.ICodeObject, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.CodeObject;
        }

        interface ICodeObjects {
            code?: (pymemprof.capture.ICodeObject[]|null);
        }

        class CodeObjects implements ICodeObjects {
            constructor(properties?: pymemprof.capture.ICodeObjects);
            public code: pymemprof.capture.ICodeObject[];
            public static create(properties?: pymemprof.capture.ICodeObjects): pymemprof.capture.CodeObjects;
            public static encode(message: pymemprof.capture.ICodeObjects, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.CodeObjects;
        }

        interface IStackNodes {
            id?: (number[]|null);
            parent?: (number[]|null);
            code?: (number[]|null);
            offset?: (number[]|null);
            firstId?: (number|null);
            parentBack?: (number[]|null);
        }

        class StackNodes implements IStackNodes {
            constructor(properties?: pymemprof.capture.IStackNodes);
            public id: number[];
            public parent: number[];
            public code: number[];
            public offset: number[];
            public firstId: number;
            public parentBack: number[];
            public static create(properties?: pymemprof.capture.IStackNodes): pymemprof.capture.StackNodes;
            public static encode(message: pymemprof.capture.IStackNodes, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.StackNodes;
        }

        interface IThread {
            id?: (number|null);
            nativeId?: (number|null);
            name?: (string|null);
        }

        class Thread implements IThread {
            constructor(properties?: pymemprof.capture.IThread);
            public id: number;
            public nativeId: number;
            public name: string;
            public static create(properties?: pymemprof.capture.IThread): pymemprof.capture.Thread;
            public static encode(message: pymemprof.capture.IThread, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Thread;
        }

        interface IThreads {
            thread?: (pymemprof.capture.IThread[]|null);
        }

        class Threads implements IThreads {
            constructor(properties?: pymemprof.capture.IThreads);
            public thread: pymemprof.capture.IThread[];
            public static create(properties?: pymemprof.capture.IThreads): pymemprof.capture.Threads;
            public static encode(message: pymemprof.capture.IThreads, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Threads;
        }

        interface IMark {
            id?: (number|null);
            name?: (string|null);
        }

        class Mark implements IMark {
            constructor(properties?: pymemprof.capture.IMark);
            public id: number;
            public name: string;
            public static create(properties?: pymemprof.capture.IMark): pymemprof.capture.Mark;
            public static encode(message: pymemprof.capture.IMark, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Mark;
        }

        interface IMarks {
            mark?: (pymemprof.capture.IMark[]|null);
        }

        class Marks implements IMarks {
            constructor(properties?: pymemprof.capture.IMarks);
            public mark: pymemprof.capture.IMark[];
            public static create(properties?: pymemprof.capture.IMarks): pymemprof.capture.Marks;
            public static encode(message: pymemprof.capture.IMarks, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Marks;
        }

        enum RecordKind {
            RECORD_KIND_UNSPECIFIED = 0,
            ALLOC_RAW = 1,
            ALLOC_MEM = 2,
            ALLOC_OBJ = 3,
            FREE_RAW = 4,
            FREE_MEM = 5,
            FREE_OBJ = 6,
            RESIZE_RAW = 7,
            RESIZE_MEM = 8,
            RESIZE_OBJ = 9,
            ARENA_ALLOC = 10,
            ARENA_FREE = 11,
            MARK = 12
        }

        interface IRecordBatch {
            kind?: (number[]|null);
            addressDelta?: (number[]|null);
            size?: (number[]|null);
            stack?: (number[]|null);
            thread?: (number[]|null);
            timeDeltaUs?: (number[]|null);
            baseTimeUs?: (number|null);
            addressOp?: (Uint8Array|null);
            addressArg?: (number[]|null);
            timeStep?: (number[]|null);
            timeRun?: (number[]|null);
            liveBytes?: (number[]|null);
            usableSize?: (number[]|null);
        }

        class RecordBatch implements IRecordBatch {
            constructor(properties?: pymemprof.capture.IRecordBatch);
            public kind: number[];
            public addressDelta: number[];
            public size: number[];
            public stack: number[];
            public thread: number[];
            public timeDeltaUs: number[];
            public baseTimeUs: number;
            public addressOp: Uint8Array;
            public addressArg: number[];
            public timeStep: number[];
            public timeRun: number[];
            public liveBytes: number[];
            public usableSize: number[];
            public static create(properties?: pymemprof.capture.IRecordBatch): pymemprof.capture.RecordBatch;
            public static encode(message: pymemprof.capture.IRecordBatch, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.RecordBatch;
        }

        interface ITrailer {
            records?: (number|null);
            allocations?: (number|null);
            frees?: (number|null);
            durationUs?: (number|null);
            batches?: (number|null);
            droppedRecords?: (number|null);
        }

        class Trailer implements ITrailer {
            constructor(properties?: pymemprof.capture.ITrailer);
            public records: number;
            public allocations: number;
            public frees: number;
            public durationUs: number;
            public batches: number;
            public droppedRecords: number;
            public static create(properties?: pymemprof.capture.ITrailer): pymemprof.capture.Trailer;
            public static encode(message: pymemprof.capture.ITrailer, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): pymemprof.capture.Trailer;
        }
    }
}
